"""World lore entries, with a tag index and a revision every front sees change when any front writes."""

from __future__ import annotations

import time

from google.protobuf import json_format
from sqlalchemy import delete, select, update

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database
from worldsmith.store.schema import lore, lore_revision, lore_tags


def _to_json(entry: dialogue_pb2.LoreEntry) -> str:
    return json_format.MessageToJson(entry, preserving_proto_field_name=True, indent=None, sort_keys=True)


def _from_json(text: str) -> dialogue_pb2.LoreEntry:
    return json_format.Parse(text, dialogue_pb2.LoreEntry(), ignore_unknown_fields=True)


class LoreStore:
    def __init__(self, db: Database):
        self.db = db

    @property
    def version(self) -> int:
        """Changes whenever the lore may have changed, so retrieval indexes know to rebuild: raised in the
        same transaction as every write, by this process, another front, or the import command."""
        return self.db.query(select(lore_revision.c.revision).where(lore_revision.c.id == 1))[0].revision

    def upsert_many(self, entries: list[dialogue_pb2.LoreEntry]) -> int:
        now = int(time.time() * 1000)
        with self.db.transaction() as connection:
            for entry in entries:
                statement = self.db.insert(lore).values(id=entry.id, entry_json=_to_json(entry), updated_ms=now)
                connection.execute(statement.on_conflict_do_update(
                    index_elements=[lore.c.id],
                    set_={"entry_json": statement.excluded.entry_json, "updated_ms": statement.excluded.updated_ms},
                ))
                connection.execute(delete(lore_tags).where(lore_tags.c.lore_id == entry.id))
                if entry.tags:
                    connection.execute(self.db.insert(lore_tags).on_conflict_do_nothing(),
                                       [{"lore_id": entry.id, "tag": tag} for tag in entry.tags])
            self._bump(connection)
        return len(entries)

    def list(self, tag: str = "") -> list[dialogue_pb2.LoreEntry]:
        """All entries ordered by id, or only those carrying `tag`."""
        statement = select(lore.c.entry_json).order_by(lore.c.id)
        if tag:
            statement = statement.join(lore_tags, lore_tags.c.lore_id == lore.c.id).where(lore_tags.c.tag == tag)
        return [_from_json(row.entry_json) for row in self.db.query(statement)]

    def delete(self, lore_id: str) -> bool:
        with self.db.transaction() as connection:
            deleted = connection.execute(delete(lore).where(lore.c.id == lore_id)).rowcount > 0
            if deleted:
                self._bump(connection)
        return deleted

    @staticmethod
    def _bump(connection) -> None:
        connection.execute(update(lore_revision).where(lore_revision.c.id == 1)
                           .values(revision=lore_revision.c.revision + 1))
