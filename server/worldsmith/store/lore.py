"""World lore entries in SQLite, with a tag index and a version that changes whenever they may have."""

from __future__ import annotations

import time

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database


def _to_json(entry: dialogue_pb2.LoreEntry) -> str:
    return json_format.MessageToJson(entry, preserving_proto_field_name=True, indent=None, sort_keys=True)


def _from_json(text: str) -> dialogue_pb2.LoreEntry:
    return json_format.Parse(text, dialogue_pb2.LoreEntry(), ignore_unknown_fields=True)


class LoreStore:
    def __init__(self, db: Database):
        self.db = db
        self._writes = 0

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever the lore may have changed, so retrieval indexes know to rebuild:
        our own writes, and SQLite's data_version for commits by other processes (the CLI)."""
        return self._writes, self.db.query("PRAGMA data_version")[0][0]

    def upsert_many(self, entries: list[dialogue_pb2.LoreEntry]) -> int:
        now = int(time.time() * 1000)
        with self.db.transaction() as connection:
            for entry in entries:
                connection.execute(
                    "INSERT INTO lore (id, entry_json, updated_ms) VALUES (?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET entry_json = excluded.entry_json, updated_ms = excluded.updated_ms",
                    (entry.id, _to_json(entry), now),
                )
                connection.execute("DELETE FROM lore_tags WHERE lore_id = ?", (entry.id,))
                connection.executemany(
                    "INSERT OR IGNORE INTO lore_tags (lore_id, tag) VALUES (?, ?)", [(entry.id, tag) for tag in entry.tags]
                )
        self._writes += 1
        return len(entries)

    def list(self, tag: str = "") -> list[dialogue_pb2.LoreEntry]:
        """All entries ordered by id, or only those carrying `tag`."""
        if tag:
            rows = self.db.query(
                "SELECT lore.entry_json FROM lore JOIN lore_tags ON lore_tags.lore_id = lore.id "
                "WHERE lore_tags.tag = ? ORDER BY lore.id",
                (tag,),
            )
        else:
            rows = self.db.query("SELECT entry_json FROM lore ORDER BY id")
        return [_from_json(row["entry_json"]) for row in rows]

    def delete(self, lore_id: str) -> bool:
        with self.db.transaction() as connection:
            deleted = connection.execute("DELETE FROM lore WHERE id = ?", (lore_id,)).rowcount > 0
        if deleted:
            self._writes += 1
        return deleted
