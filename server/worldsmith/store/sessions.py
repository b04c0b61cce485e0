"""Dialogue sessions in SQLite: the session row, its world state and summary, and its turns in order."""

from __future__ import annotations

import json
import time

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database


def now_ms() -> int:
    return int(time.time() * 1000)


class SessionStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, session: dialogue_pb2.Session) -> bool:
        """Insert a new session with its turns; False when the id is taken."""
        with self.db.transaction() as connection:
            if connection.execute("SELECT 1 FROM sessions WHERE id = ?", (session.id,)).fetchone():
                return False
            self._insert(connection, session)
        return True

    def replace(self, session: dialogue_pb2.Session) -> None:
        """Write the session whole, replacing any session with the same id (a save being loaded)."""
        with self.db.transaction() as connection:
            connection.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
            self._insert(connection, session)

    def _insert(self, connection, session: dialogue_pb2.Session) -> None:
        stamp = now_ms()
        connection.execute(
            "INSERT INTO sessions (id, player_id, character_ids, world_state, summary, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session.id,
                session.player_id,
                json.dumps(list(session.character_ids)),
                json.dumps(dict(sorted(session.world_state.items()))),
                session.summary,
                stamp,
                stamp,
            ),
        )
        self._append(connection, session.id, list(session.turns), first_seq=0)

    @staticmethod
    def _append(connection, session_id: str, turns: list[dialogue_pb2.Turn], first_seq: int) -> None:
        connection.executemany(
            "INSERT INTO turns (session_id, seq, turn_id, speaker, text, interrupted, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (session_id, first_seq + i, t.turn_id, t.speaker, t.text, int(t.interrupted), t.created_unix_ms)
                for i, t in enumerate(turns)
            ],
        )

    def get(self, session_id: str) -> dialogue_pb2.Session | None:
        rows = self.db.query("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            return None
        row = rows[0]
        session = dialogue_pb2.Session(
            id=row["id"],
            player_id=row["player_id"],
            character_ids=json.loads(row["character_ids"]),
            world_state=json.loads(row["world_state"]),
            summary=row["summary"],
        )
        for turn in self.db.query(
            "SELECT turn_id, speaker, text, interrupted, created_ms FROM turns WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ):
            session.turns.add(
                turn_id=turn["turn_id"],
                speaker=turn["speaker"],
                text=turn["text"],
                interrupted=bool(turn["interrupted"]),
                created_unix_ms=turn["created_ms"],
            )
        return session

    def delete(self, session_id: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def commit_turns(
        self,
        session_id: str,
        turns: list[dialogue_pb2.Turn],
        fold_oldest: int = 0,
        summary: str | None = None,
    ) -> bool:
        """Append finished turns in one transaction; optionally drop the oldest `fold_oldest`
        turns and store the summary that now stands for them. False when the session is gone."""
        with self.db.transaction() as connection:
            if not connection.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                return False
            if fold_oldest > 0:
                connection.execute(
                    "DELETE FROM turns WHERE session_id = ? AND seq IN "
                    "(SELECT seq FROM turns WHERE session_id = ? ORDER BY seq LIMIT ?)",
                    (session_id, session_id, fold_oldest),
                )
            if summary is not None:
                connection.execute("UPDATE sessions SET summary = ? WHERE id = ?", (summary, session_id))
            last = connection.execute("SELECT MAX(seq) FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
            self._append(connection, session_id, turns, first_seq=0 if last is None else last + 1)
            connection.execute("UPDATE sessions SET updated_ms = ? WHERE id = ?", (now_ms(), session_id))
        return True

    def update_world_state(self, session_id: str, updates: dict[str, str]) -> dict[str, str] | None:
        """Merge `updates` into the session's world state; an empty value removes the key."""
        with self.db.transaction() as connection:
            row = connection.execute("SELECT world_state FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                return None
            state = json.loads(row["world_state"])
            for key, value in updates.items():
                if value:
                    state[key] = value
                else:
                    state.pop(key, None)
            state = dict(sorted(state.items()))
            connection.execute(
                "UPDATE sessions SET world_state = ?, updated_ms = ? WHERE id = ?", (json.dumps(state), now_ms(), session_id)
            )
        return state
