"""Dialogue sessions: the session row, its world state and summary, and its turns in order.

Every write to a session first changes its row, which locks it until the transaction ends: on PostgreSQL
two fronts appending to one session take turns there, and each append takes its sequence numbers from the
row (`next_seq`), so neither loses a turn nor interleaves its batch with the other's.
"""

from __future__ import annotations

import json
import time

from sqlalchemy import delete, func, select, update

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.store.db import Database
from worldsmith.store.schema import sessions
from worldsmith.store.schema import turns as turn_table


def now_ms() -> int:
    return int(time.time() * 1000)


class SessionStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, session: dialogue_pb2.Session) -> bool:
        """Insert a new session with its turns; False when the id is taken."""
        statement = self.db.insert(sessions).values(self._row(session)).on_conflict_do_nothing(
            index_elements=[sessions.c.id]).returning(sessions.c.id)
        with self.db.transaction() as connection:
            if connection.execute(statement).first() is None:
                return False
            self._append(connection, session.id, list(session.turns), first_seq=0)
        return True

    def replace(self, session: dialogue_pb2.Session) -> None:
        """Write the session whole, replacing any session with the same id (a save being loaded)."""
        row = self._row(session)
        statement = self.db.insert(sessions).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=[sessions.c.id], set_={key: statement.excluded[key] for key in row if key != "id"})
        with self.db.transaction() as connection:
            connection.execute(statement)
            connection.execute(delete(turn_table).where(turn_table.c.session_id == session.id))
            self._append(connection, session.id, list(session.turns), first_seq=0)

    @staticmethod
    def _row(session: dialogue_pb2.Session) -> dict:
        stamp = now_ms()
        return {
            "id": session.id,
            "player_id": session.player_id,
            "character_ids": json.dumps(list(session.character_ids)),
            "world_state": json.dumps(dict(sorted(session.world_state.items()))),
            "summary": session.summary,
            "created_ms": stamp,
            "updated_ms": stamp,
            "next_seq": len(session.turns),
        }

    @staticmethod
    def _append(connection, session_id: str, new_turns: list[dialogue_pb2.Turn], first_seq: int) -> None:
        if not new_turns:
            return
        connection.execute(turn_table.insert(), [
            {"session_id": session_id, "seq": first_seq + i, "turn_id": t.turn_id, "speaker": t.speaker,
             "text": t.text, "interrupted": int(t.interrupted), "created_ms": t.created_unix_ms}
            for i, t in enumerate(new_turns)
        ])

    def get(self, session_id: str) -> dialogue_pb2.Session | None:
        with self.db.reading() as connection:
            row = connection.execute(select(sessions).where(sessions.c.id == session_id)).first()
            if row is None:
                return None
            stored = connection.execute(
                select(turn_table.c.turn_id, turn_table.c.speaker, turn_table.c.text, turn_table.c.interrupted, turn_table.c.created_ms)
                .where(turn_table.c.session_id == session_id).order_by(turn_table.c.seq)
            ).all()
        session = dialogue_pb2.Session(
            id=row.id,
            player_id=row.player_id,
            character_ids=json.loads(row.character_ids),
            world_state=json.loads(row.world_state),
            summary=row.summary,
        )
        for turn in stored:
            session.turns.add(turn_id=turn.turn_id, speaker=turn.speaker, text=turn.text,
                              interrupted=bool(turn.interrupted), created_unix_ms=turn.created_ms)
        return session

    def delete(self, session_id: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute(delete(sessions).where(sessions.c.id == session_id)).rowcount > 0

    def commit_turns(self, session_id: str, turns: list[dialogue_pb2.Turn], fold_through: str = "",
                     summary: str = "") -> bool:
        """Append finished turns in one transaction. With `fold_through`, the turns up to and including that one
        are dropped and `summary` stands for them, unless another writer (a second front) has already folded
        past it: then its summary, which covers more, stays. False when the session is gone."""
        with self.db.transaction() as connection:
            # Reserves this batch's sequence numbers and holds the session's row lock until commit.
            next_seq = connection.execute(
                update(sessions).where(sessions.c.id == session_id)
                .values(next_seq=sessions.c.next_seq + len(turns), updated_ms=now_ms()).returning(sessions.c.next_seq)
            ).scalar_one_or_none()
            if next_seq is None:
                return False
            if fold_through:
                self._fold(connection, session_id, fold_through, summary)
            self._append(connection, session_id, turns, first_seq=next_seq - len(turns))
        return True

    @staticmethod
    def _fold(connection, session_id: str, through_turn_id: str, summary: str) -> None:
        last = connection.execute(
            select(func.min(turn_table.c.seq)).where(turn_table.c.session_id == session_id,
                                                     turn_table.c.turn_id == through_turn_id)
        ).scalar()
        if last is None:
            return  # already folded by another writer, into a summary that covers at least as much
        connection.execute(delete(turn_table).where(turn_table.c.session_id == session_id, turn_table.c.seq <= last))
        connection.execute(update(sessions).where(sessions.c.id == session_id).values(summary=summary))

    def update_world_state(self, session_id: str, updates: dict[str, str]) -> dict[str, str] | None:
        """Merge `updates` into the session's world state; an empty value removes the key."""
        with self.db.transaction() as connection:
            row = connection.execute(
                select(sessions.c.world_state).where(sessions.c.id == session_id).with_for_update()
            ).first()
            if row is None:
                return None
            state = json.loads(row.world_state)
            for key, value in updates.items():
                if value:
                    state[key] = value
                else:
                    state.pop(key, None)
            state = dict(sorted(state.items()))
            connection.execute(update(sessions).where(sessions.c.id == session_id)
                               .values(world_state=json.dumps(state), updated_ms=now_ms()))
        return state
