"""The SQLite database: one connection, WAL journal, schema migrations by version number."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

DATABASE_NAME = "worldsmith.db"

# Each entry moves the schema from version i to i + 1. Append only; never edit a shipped step.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE characters (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        card_json   TEXT NOT NULL,
        updated_ms  INTEGER NOT NULL
    );
    CREATE TABLE lore (
        id          TEXT PRIMARY KEY,
        entry_json  TEXT NOT NULL,
        updated_ms  INTEGER NOT NULL
    );
    CREATE TABLE lore_tags (
        lore_id     TEXT NOT NULL REFERENCES lore(id) ON DELETE CASCADE,
        tag         TEXT NOT NULL,
        PRIMARY KEY (lore_id, tag)
    );
    CREATE INDEX lore_tags_by_tag ON lore_tags(tag);
    CREATE TABLE sessions (
        id               TEXT PRIMARY KEY,
        player_id        TEXT NOT NULL,
        character_ids    TEXT NOT NULL,
        world_state      TEXT NOT NULL,
        summary          TEXT NOT NULL,
        created_ms       INTEGER NOT NULL,
        updated_ms       INTEGER NOT NULL
    );
    CREATE TABLE turns (
        session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        turn_id      TEXT NOT NULL,
        speaker      TEXT NOT NULL,
        text         TEXT NOT NULL,
        interrupted  INTEGER NOT NULL,
        created_ms   INTEGER NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """One SQLite connection shared by threads under a lock.

    Journal mode WAL lets readers run beside the writer. `synchronous=NORMAL`: in WAL mode
    a committed transaction survives the process being killed (the case we promise: a
    server killed mid-turn loses at most that turn); only an OS crash or power loss can
    drop the last few commits, and never corrupts the file. FULL would add a disk flush
    to every NPC reply for that power-loss case alone, and the game keeps its own save
    blob (ExportSession) for what it cannot lose.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        self._connection.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    @classmethod
    def open(cls, data_dir: str | Path) -> "Database":
        return cls(Path(data_dir) / DATABASE_NAME)

    @property
    def schema_version(self) -> int:
        return self._connection.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction() as connection:
            current = connection.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {current}, newer than this server's {SCHEMA_VERSION}; "
                    "upgrade worldsmith or point --data-dir at another directory"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        connection.execute(statement)
            # PRAGMA takes no parameters; the value is our own integer.
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error), holding the connection's lock."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def query(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def close(self) -> None:
        with self._lock:
            self._connection.close()
