"""The SQLite store: WAL journal, schema versions, and session writes that are all-or-nothing."""

from __future__ import annotations

import sqlite3

import pytest

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.store import Store
from worldsmith.store.db import SCHEMA_VERSION, Database


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path)
    yield store
    store.close()


def test_the_database_is_created_in_wal_mode_at_the_current_schema(tmp_path, store):
    assert (tmp_path / "worldsmith.db").exists()
    assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.db.schema_version == SCHEMA_VERSION
    store.close()
    # Reopening migrates nothing and keeps the version.
    again = Database.open(tmp_path)
    assert again.schema_version == SCHEMA_VERSION
    again.close()


def test_a_database_from_a_newer_server_is_refused(tmp_path):
    with sqlite3.connect(tmp_path / "worldsmith.db") as connection:
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer than this server"):
        Database.open(tmp_path)


def session(**kwargs) -> d.Session:
    return d.Session(id="s", player_id="p", character_ids=["smith"], **kwargs)


def turn(i: int, speaker: str = "player") -> d.Turn:
    return d.Turn(turn_id=f"t{i}", speaker=speaker, text=f"line {i}", created_unix_ms=i)


def test_sessions_keep_turns_in_order_and_fold_the_oldest(store):
    assert store.sessions.create(session(world_state={"quest": "1"}))
    assert not store.sessions.create(session())
    assert store.sessions.commit_turns("s", [turn(0), turn(1, "smith")])
    assert store.sessions.commit_turns("s", [turn(2), turn(3, "smith")], fold_oldest=2, summary="Player: line 0")
    stored = store.sessions.get("s")
    assert [t.turn_id for t in stored.turns] == ["t2", "t3"]
    assert stored.summary == "Player: line 0" and dict(stored.world_state) == {"quest": "1"}
    assert not store.sessions.commit_turns("gone", [turn(4)])


def test_world_state_updates_merge_and_empty_values_remove(store):
    store.sessions.create(session(world_state={"a": "1", "b": "2"}))
    assert store.sessions.update_world_state("s", {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert dict(store.sessions.get("s").world_state) == {"a": "1", "c": "3"}
    assert store.sessions.update_world_state("missing", {"a": "1"}) is None


def test_a_failed_commit_leaves_the_session_as_it_was(store):
    store.sessions.create(session())
    store.sessions.commit_turns("s", [turn(0)])
    with pytest.raises(sqlite3.IntegrityError):
        # Two turns with one sequence number cannot both be written: nothing of the batch is.
        with store.db.transaction() as connection:
            connection.execute("INSERT INTO turns VALUES ('s', 1, 'a', 'player', 'x', 0, 0)")
            connection.execute("INSERT INTO turns VALUES ('s', 1, 'b', 'player', 'y', 0, 0)")
    assert [t.turn_id for t in store.sessions.get("s").turns] == ["t0"]


def test_replace_and_delete(store):
    store.sessions.create(session())
    store.sessions.commit_turns("s", [turn(0)])
    store.sessions.replace(session(turns=[turn(7)], summary="earlier"))
    stored = store.sessions.get("s")
    assert [t.turn_id for t in stored.turns] == ["t7"] and stored.summary == "earlier"
    assert store.sessions.delete("s")
    assert store.sessions.get("s") is None
    assert store.db.query("SELECT COUNT(*) FROM turns")[0][0] == 0


def test_lore_version_sees_writes_from_another_process(tmp_path, store):
    before = store.lore.version
    other = Store.open(tmp_path)  # another connection, as the import command opens
    other.lore.upsert_many([d.LoreEntry(id="x", text="t")])
    other.close()
    assert store.lore.version != before
    seen = store.lore.version
    store.lore.upsert_many([d.LoreEntry(id="y", text="u")])
    assert store.lore.version != seen
