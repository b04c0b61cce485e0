"""A SQLite file written by the hand-numbered migrations (schema version 1) upgrades in place with all it held."""

from __future__ import annotations

import json
import sqlite3

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.store import Store
from worldsmith.store.migrate import head_revision

# The schema as store/db.py created it before Alembic, statement for statement.
VERSION_1 = """
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
"""

SMITH = d.Character(id="smith", name="Hilda the Smith", role="smith", personality_traits=["gruff"],
                    example_lines=["What do you need?"])
KEEP = d.LoreEntry(id="keep", title="The keep", text="Built by the first duke.", tags=["north", "history"])


def card(message) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None, sort_keys=True)


def write_version_1_database(path) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(VERSION_1)
        connection.execute("PRAGMA user_version=1")
        connection.execute("INSERT INTO characters VALUES ('smith', ?, ?, 1)", (SMITH.name, card(SMITH)))
        connection.execute("INSERT INTO lore VALUES ('keep', ?, 1)", (card(KEEP),))
        connection.executemany("INSERT INTO lore_tags VALUES ('keep', ?)", [(tag,) for tag in KEEP.tags])
        connection.execute("INSERT INTO sessions VALUES ('s1', 'p1', ?, ?, 'They met before.', 5, 6)",
                           (json.dumps(["smith"]), json.dumps({"quest": "sword"})))
        # Sequence numbers as the old code left them after folding: the oldest two are gone.
        connection.executemany("INSERT INTO turns VALUES ('s1', ?, ?, ?, ?, ?, ?)", [
            (2, "t2", "player", "Can you mend this?", 0, 10),
            (3, "t3", "smith", "Give it here.", 0, 11),
            (4, "t4", "smith", "It will take", 1, 12),
        ])
        connection.execute("INSERT INTO sessions VALUES ('s2', 'p2', ?, '{}', '', 7, 7)", (json.dumps(["smith"]),))


def test_a_version_1_database_upgrades_in_place_and_keeps_everything(tmp_path):
    write_version_1_database(tmp_path / "worldsmith.db")

    store = Store.open(tmp_path)
    try:
        assert store.db.revision == head_revision()
        assert store.characters.get("smith") == SMITH
        assert store.lore.list("north") == [KEEP]
        old = store.sessions.get("s1")
        assert old.summary == "They met before." and dict(old.world_state) == {"quest": "sword"}
        assert [(t.turn_id, t.speaker, t.text, t.interrupted, t.created_unix_ms) for t in old.turns] == [
            ("t2", "player", "Can you mend this?", False, 10),
            ("t3", "smith", "Give it here.", False, 11),
            ("t4", "smith", "It will take", True, 12),
        ]
        assert store.sessions.get("s2").turns == []

        # New turns continue after the old ones, in both sessions.
        assert store.sessions.commit_turns("s1", [d.Turn(turn_id="t5", speaker="player", text="Thanks.")])
        assert store.sessions.commit_turns("s2", [d.Turn(turn_id="u0", speaker="player", text="Hello.")])
        assert [t.turn_id for t in store.sessions.get("s1").turns] == ["t2", "t3", "t4", "t5"]
        assert [t.turn_id for t in store.sessions.get("s2").turns] == ["u0"]
        assert store.db.query("SELECT seq FROM turns WHERE session_id = 's1' ORDER BY seq")[-1][0] == 5
    finally:
        store.close()

    # Opening it again migrates nothing and finds the same.
    again = Store.open(tmp_path)
    try:
        assert again.db.revision == head_revision()
        assert [t.turn_id for t in again.sessions.get("s1").turns] == ["t2", "t3", "t4", "t5"]
    finally:
        again.close()
