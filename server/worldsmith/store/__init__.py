"""Persistence: characters, lore and sessions in SQLite or PostgreSQL, and the content-addressed file cache beside it."""

from __future__ import annotations

from pathlib import Path

from worldsmith.store.characters import CharacterStore
from worldsmith.store.db import Database
from worldsmith.store.lore import LoreStore
from worldsmith.store.sessions import SessionStore


class Store:
    """The server's database and the repositories over it."""

    def __init__(self, db: Database):
        self.db = db
        self.characters = CharacterStore(db)
        self.lore = LoreStore(db)
        self.sessions = SessionStore(db)

    @classmethod
    def open(cls, data_dir: str | Path, url: str = "") -> "Store":
        """Open (creating and migrating) the database at `url` (store.url), or `<data_dir>/worldsmith.db`."""
        return cls(Database.open(data_dir, url))

    def close(self) -> None:
        self.db.close()


__all__ = ["Store", "Database", "CharacterStore", "LoreStore", "SessionStore"]
