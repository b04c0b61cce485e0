"""The store's behaviour on SQLite and on PostgreSQL alike: sessions, lore, characters, all-or-nothing writes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.errors import Unavailable
from worldsmith.store import Store


def session(**kwargs) -> d.Session:
    return d.Session(id="s", player_id="p", character_ids=["smith"], **kwargs)


def turn(i: int, speaker: str = "player") -> d.Turn:
    return d.Turn(turn_id=f"t{i}", speaker=speaker, text=f"line {i}", created_unix_ms=i)


def test_sessions_keep_turns_in_order_and_fold_the_oldest(any_store):
    store = any_store
    assert store.sessions.create(session(world_state={"quest": "1"}))
    assert not store.sessions.create(session())
    assert store.sessions.commit_turns("s", [turn(0), turn(1, "smith")])
    assert store.sessions.commit_turns("s", [turn(2), turn(3, "smith")], fold_through="t1", summary="Player: line 0")
    stored = store.sessions.get("s")
    assert [t.turn_id for t in stored.turns] == ["t2", "t3"]
    assert stored.summary == "Player: line 0" and dict(stored.world_state) == {"quest": "1"}
    assert not store.sessions.commit_turns("gone", [turn(4)])


@pytest.mark.parametrize("first, second", [("t3", "t1"), ("t1", "t3")], ids=["wider fold first", "narrower first"])
def test_two_writers_folding_at_once_keep_the_summary_that_covers_more(any_store, first, second):
    """Two fronts fold the same session for turns they prepared at once; whichever commits first, no turn is lost
    from both the history and the summary."""
    store = any_store
    store.sessions.create(session())
    store.sessions.commit_turns("s", [turn(i, "player" if i % 2 == 0 else "smith") for i in range(6)])
    summaries = {"t1": "summary of t0-t1", "t3": "summary of t0-t3"}
    store.sessions.commit_turns("s", [turn(6)], fold_through=first, summary=summaries[first])
    store.sessions.commit_turns("s", [turn(7, "smith")], fold_through=second, summary=summaries[second])
    stored = store.sessions.get("s")
    assert stored.summary == summaries["t3"]
    assert [t.turn_id for t in stored.turns] == ["t4", "t5", "t6", "t7"]


def test_world_state_updates_merge_and_empty_values_remove(any_store):
    store = any_store
    store.sessions.create(session(world_state={"a": "1", "b": "2"}))
    assert store.sessions.update_world_state("s", {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert dict(store.sessions.get("s").world_state) == {"a": "1", "c": "3"}
    assert store.sessions.update_world_state("missing", {"a": "1"}) is None


def test_a_failed_commit_leaves_the_session_as_it_was(any_store):
    store = any_store
    store.sessions.create(session())
    store.sessions.commit_turns("s", [turn(0)])
    with pytest.raises(IntegrityError):
        # Two turns with one sequence number cannot both be written: nothing of the batch is.
        with store.db.transaction() as connection:
            connection.execute(text("INSERT INTO turns VALUES ('s', 1, 'a', 'player', 'x', 0, 0)"))
            connection.execute(text("INSERT INTO turns VALUES ('s', 1, 'b', 'player', 'y', 0, 0)"))
    assert [t.turn_id for t in store.sessions.get("s").turns] == ["t0"]


def test_replace_and_delete(any_store):
    store = any_store
    store.sessions.create(session())
    store.sessions.commit_turns("s", [turn(0)])
    store.sessions.replace(session(turns=[turn(7)], summary="earlier"))
    store.sessions.commit_turns("s", [turn(8)])
    stored = store.sessions.get("s")
    assert [t.turn_id for t in stored.turns] == ["t7", "t8"] and stored.summary == "earlier"
    assert store.sessions.delete("s")
    assert store.sessions.get("s") is None
    assert store.db.query("SELECT COUNT(*) FROM turns")[0][0] == 0


def test_characters_page_in_id_order_and_report_the_missing(any_store):
    store = any_store
    assert store.characters.upsert(d.Character(id="b", name="Bren"))
    assert not store.characters.upsert(d.Character(id="b", name="Bren the Second"))
    store.characters.upsert(d.Character(id="a", name="Ada"))
    assert [c.name for c in store.characters.page("", 10)] == ["Ada", "Bren the Second"]
    assert store.characters.missing(["a", "zed", "b"]) == ["zed"]
    assert store.characters.delete("a") and not store.characters.delete("a")


def test_lore_is_found_by_tag_and_its_version_moves_with_every_write(any_store):
    store = any_store
    start = store.lore.version
    store.lore.upsert_many([d.LoreEntry(id="keep", text="The keep", tags=["north", "stone"]),
                            d.LoreEntry(id="mill", text="The mill", tags=["river"])])
    assert [e.id for e in store.lore.list("north")] == ["keep"]
    store.lore.upsert_many([d.LoreEntry(id="keep", text="The keep", tags=["river"])])
    assert [e.id for e in store.lore.list("river")] == ["keep", "mill"] and store.lore.list("north") == []
    middle = store.lore.version
    assert middle != start
    assert store.lore.delete("mill") and not store.lore.delete("mill")
    assert store.lore.version != middle


def test_a_database_that_goes_down_is_unavailable_and_serves_again_once_back(tmp_path):
    from postgres import PostgresServer, binaries

    server = PostgresServer(binaries()).start()
    store = Store.open(tmp_path, server.new_database())
    try:
        store.sessions.create(session())
        server.halt()
        with pytest.raises(Unavailable, match="retry"):
            store.sessions.commit_turns("s", [turn(0)])
        with pytest.raises(Unavailable):
            store.sessions.get("s")
        server.resume()
        # The pool replaces the connections the restart broke: the next calls simply work.
        assert store.sessions.commit_turns("s", [turn(1)])
        assert [t.turn_id for t in store.sessions.get("s").turns] == ["t1"]
    finally:
        store.close()
        server.stop()
