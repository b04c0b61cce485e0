"""Bring a database to the newest schema with Alembic, adopting SQLite files from the hand-numbered migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL

# SQLite files written before Alembic numbered their schema in `PRAGMA user_version`; version 1 is
# revision 0001. Once migrated, a file carries LEGACY_GUARD there, so an older server refuses it
# instead of writing turns without their sequence numbers.
LEGACY_REVISIONS = {1: "0001"}
LEGACY_GUARD = 2

# Fronts starting together against one PostgreSQL migrate one at a time (a transaction-scoped advisory lock).
MIGRATION_LOCK_KEY = 0x776F726C64  # "world"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "worldsmith.store:migrations")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(connection: Connection, url: URL) -> None:
    """Upgrade to head inside the caller's transaction; refuse a database a newer server wrote."""
    where = url.render_as_string(hide_password=True)
    config = alembic_config(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None and connection.dialect.name == "sqlite":
        legacy = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
        if legacy and legacy not in LEGACY_REVISIONS:
            raise RuntimeError(f"{where} has schema version {legacy}, newer than this server's; upgrade worldsmith "
                               f"or point --data-dir at another directory")
        if legacy and inspect(connection).has_table("sessions"):
            command.stamp(config, LEGACY_REVISIONS[legacy])
    if current is not None:
        try:
            ScriptDirectory.from_config(config).get_revision(current)
        except CommandError:
            raise RuntimeError(f"{where} has schema revision {current!r}, newer than this server's "
                               f"{head_revision()!r}; upgrade worldsmith or point store.url elsewhere") from None
    command.upgrade(config, "head")
    if connection.dialect.name == "sqlite":
        # PRAGMA takes no parameters; the value is our own integer.
        connection.exec_driver_sql(f"PRAGMA user_version={LEGACY_GUARD}")
