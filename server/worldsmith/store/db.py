"""The database: a SQLAlchemy engine on SQLite (one file, WAL journal) or PostgreSQL, migrated by Alembic on open."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, Row, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from worldsmith.config import ConfigError
from worldsmith.errors import Unavailable

DATABASE_NAME = "worldsmith.db"


def engine_for(url: str) -> Engine:
    """An engine for `sqlite:///PATH` or `postgresql://...` (served by psycopg 3); ConfigError naming store.url otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"store.url {url!r} is not a database URL; use postgresql://USER:PASSWORD@HOST/NAME") from None
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Connections the server closed (a restart, a failover) are replaced before use rather than failing a turn.
        return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=8)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    raise ConfigError(f"store.url {parsed.render_as_string(hide_password=True)!r}: use postgresql://... or "
                     f"sqlite:///PATH (or leave it empty for {DATABASE_NAME} in the data directory)")


def _tune_sqlite(engine: Engine) -> None:
    """WAL journal and foreign keys on every connection; transactions begun by us, IMMEDIATE for writes.

    `synchronous=NORMAL`: in WAL mode a committed transaction survives the process being killed (the case we
    promise: a server killed mid-turn loses at most that turn); only an OS crash or power loss can drop the
    last few commits, and never corrupts the file. FULL would add a disk flush to every NPC reply for that
    power-loss case alone, and the game keeps its own save blob (ExportSession) for what it cannot lose.
    """

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # The driver's own implicit BEGIN is off: `_begin` below says which kind each transaction takes.
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("write") else "BEGIN")


class Database:
    """The store's engine: connections per thread from its pool, one transaction per repository call.

    Writers on SQLite take the file's write lock up front (BEGIN IMMEDIATE), one thread at a time in this
    process; on PostgreSQL they run side by side and lock the rows they change.
    """

    def __init__(self, url: str):
        # Alembic is imported only by what opens a database: commands that just write files skip its import time.
        from worldsmith.store.migrate import migrate

        self.engine = engine_for(url)
        self.dialect = self.engine.dialect.name
        self._sqlite_writer = threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        try:
            with self.transaction() as connection:
                migrate(connection, self.engine.url)
        except Unavailable as error:
            self.engine.dispose()
            raise ConfigError(f"store.url {self.engine.url.render_as_string(hide_password=True)}: cannot open the "
                              f"database: {str(error.__cause__.orig).strip()}") from None
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def open(cls, data_dir: str | Path, url: str = "") -> "Database":
        """The database at `url`, or `<data_dir>/worldsmith.db` when it is empty."""
        return cls(url or f"sqlite:///{Path(data_dir) / DATABASE_NAME}")

    @property
    def revision(self) -> str | None:
        """The Alembic revision the schema is at."""
        from alembic.runtime.migration import MigrationContext

        with self.reading() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._reachable(), self._sqlite_writer, self.engine.connect().execution_options(write=True) as connection:
            with connection.begin():
                yield connection

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads, returned to the pool when the block ends."""
        with self._reachable(), self.engine.connect() as connection:
            yield connection

    def query(self, statement, parameters: dict | None = None) -> list[Row]:
        """Rows of one read (a Core statement, or SQL text with :named parameters)."""
        if isinstance(statement, str):
            statement = text(statement)
        with self.reading() as connection:
            return list(connection.execute(statement, parameters or {}))

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """A database that is down, restarting or locked past the busy timeout is UNAVAILABLE to the caller,
        who may retry; the pool replaces the broken connection for the next call."""
        try:
            yield
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
            raise Unavailable(f"the store's database cannot be used now ({reason}); retry shortly") from error

    def insert(self, table):
        """INSERT for this dialect, with its ON CONFLICT clauses (`on_conflict_do_update`, `on_conflict_do_nothing`)."""
        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    def close(self) -> None:
        self.engine.dispose()
