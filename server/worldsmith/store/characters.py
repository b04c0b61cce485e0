"""Character cards: upsert, get, page through, delete."""

from __future__ import annotations

import time

from google.protobuf import json_format
from sqlalchemy import delete, select

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database
from worldsmith.store.schema import characters


def _to_json(character: dialogue_pb2.Character) -> str:
    return json_format.MessageToJson(character, preserving_proto_field_name=True, indent=None, sort_keys=True)


def _from_json(text: str) -> dialogue_pb2.Character:
    return json_format.Parse(text, dialogue_pb2.Character(), ignore_unknown_fields=True)


class CharacterStore:
    def __init__(self, db: Database):
        self.db = db

    def upsert(self, character: dialogue_pb2.Character) -> bool:
        """Insert or replace the card; True when it is new."""
        values = {"id": character.id, "name": character.name, "card_json": _to_json(character),
                  "updated_ms": int(time.time() * 1000)}
        statement = self.db.insert(characters).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[characters.c.id],
            set_={column: statement.excluded[column] for column in ("name", "card_json", "updated_ms")},
        )
        with self.db.transaction() as connection:
            existed = connection.execute(select(characters.c.id).where(characters.c.id == character.id)).first()
            connection.execute(statement)
        return existed is None

    def get(self, character_id: str) -> dialogue_pb2.Character | None:
        rows = self.db.query(select(characters.c.card_json).where(characters.c.id == character_id))
        return _from_json(rows[0].card_json) if rows else None

    def missing(self, character_ids: list[str]) -> list[str]:
        """The ids among `character_ids` that have no card."""
        found = {row.id for row in self.db.query(select(characters.c.id).where(characters.c.id.in_(character_ids)))}
        return [cid for cid in character_ids if cid not in found]

    def page(self, after_id: str, limit: int) -> list[dialogue_pb2.Character]:
        """Cards ordered by id, starting after `after_id`."""
        rows = self.db.query(
            select(characters.c.card_json).where(characters.c.id > after_id).order_by(characters.c.id).limit(limit)
        )
        return [_from_json(row.card_json) for row in rows]

    def delete(self, character_id: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute(delete(characters).where(characters.c.id == character_id)).rowcount > 0
