"""Character cards in SQLite: upsert, get, page through, delete."""

from __future__ import annotations

import time

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database


def _to_json(character: dialogue_pb2.Character) -> str:
    return json_format.MessageToJson(character, preserving_proto_field_name=True, indent=None, sort_keys=True)


def _from_json(text: str) -> dialogue_pb2.Character:
    return json_format.Parse(text, dialogue_pb2.Character(), ignore_unknown_fields=True)


class CharacterStore:
    def __init__(self, db: Database):
        self.db = db

    def upsert(self, character: dialogue_pb2.Character) -> bool:
        """Insert or replace the card; True when it is new."""
        with self.db.transaction() as connection:
            existed = connection.execute("SELECT 1 FROM characters WHERE id = ?", (character.id,)).fetchone()
            connection.execute(
                "INSERT INTO characters (id, name, card_json, updated_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name = excluded.name, card_json = excluded.card_json, "
                "updated_ms = excluded.updated_ms",
                (character.id, character.name, _to_json(character), int(time.time() * 1000)),
            )
        return existed is None

    def get(self, character_id: str) -> dialogue_pb2.Character | None:
        rows = self.db.query("SELECT card_json FROM characters WHERE id = ?", (character_id,))
        return _from_json(rows[0]["card_json"]) if rows else None

    def missing(self, character_ids: list[str]) -> list[str]:
        """The ids among `character_ids` that have no card."""
        return [cid for cid in character_ids if not self.db.query("SELECT 1 FROM characters WHERE id = ?", (cid,))]

    def page(self, after_id: str, limit: int) -> list[dialogue_pb2.Character]:
        """Cards ordered by id, starting after `after_id`."""
        rows = self.db.query(
            "SELECT card_json FROM characters WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
        return [_from_json(row["card_json"]) for row in rows]

    def delete(self, character_id: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute("DELETE FROM characters WHERE id = ?", (character_id,)).rowcount > 0
