"""The SQLite store: WAL journal, the schema at Alembic's head, and a database from a newer server refused."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from harness import free_port
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.config import ConfigError
from worldsmith.store import Store
from worldsmith.store.db import Database
from worldsmith.store.migrate import LEGACY_GUARD, head_revision


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path)
    yield store
    store.close()


def test_the_database_is_created_in_wal_mode_at_the_newest_revision(tmp_path, store):
    assert (tmp_path / "worldsmith.db").exists()
    assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.db.revision == head_revision()
    store.close()
    # Reopening migrates nothing and keeps the revision.
    again = Database.open(tmp_path)
    assert again.revision == head_revision()
    again.close()


def test_an_older_server_is_kept_out_of_a_migrated_file(tmp_path, store):
    # Servers before Alembic read PRAGMA user_version and refuse any version above their own (1).
    with sqlite3.connect(tmp_path / "worldsmith.db") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == LEGACY_GUARD > 1


def test_a_database_from_a_newer_server_is_refused(tmp_path):
    with sqlite3.connect(tmp_path / "worldsmith.db") as connection:
        connection.execute(f"PRAGMA user_version={LEGACY_GUARD + 1}")
    with pytest.raises(RuntimeError, match="newer than this server"):
        Database.open(tmp_path)


def test_a_revision_this_server_does_not_know_is_refused(tmp_path, store):
    with store.db.transaction() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    store.close()
    with pytest.raises(RuntimeError, match="newer than this server"):
        Database.open(tmp_path)


def test_a_url_that_is_no_database_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="store.url"):
        Database.open(tmp_path, "mysql://somewhere/db")


def test_a_database_that_cannot_be_reached_is_reported_without_its_password(tmp_path):
    with pytest.raises(ConfigError, match="store.url .*cannot open the database") as raised:
        Database.open(tmp_path, f"postgresql://worldsmith:s3cret@127.0.0.1:{free_port()}/worldsmith")
    assert "s3cret" not in str(raised.value)


def test_lore_version_sees_writes_from_another_process(tmp_path, store):
    before = store.lore.version
    other = Store.open(tmp_path)  # another connection, as the import command opens
    other.lore.upsert_many([d.LoreEntry(id="x", text="t")])
    other.close()
    assert store.lore.version != before
    seen = store.lore.version
    store.lore.upsert_many([d.LoreEntry(id="y", text="u")])
    assert store.lore.version != seen
