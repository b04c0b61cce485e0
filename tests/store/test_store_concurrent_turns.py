"""Two fronts on one database appending to one session at once: every turn kept, each batch whole and in order."""

from __future__ import annotations

import threading

from sqlalchemy import text

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.store import Store

WRITERS_PER_FRONT = 4
BATCHES = 25


def test_concurrent_appends_from_two_fronts_lose_nothing_and_keep_order(backend_url, tmp_path):
    fronts = [Store.open(tmp_path, backend_url), Store.open(tmp_path, backend_url)]
    try:
        fronts[0].sessions.create(d.Session(id="s", player_id="p", character_ids=["smith"]))
        start = threading.Barrier(2 * WRITERS_PER_FRONT)

        def write(store: Store, writer: str) -> None:
            start.wait()
            for batch in range(BATCHES):
                # A player line and the reply to it: one batch, as the director commits a finished turn.
                assert store.sessions.commit_turns("s", [
                    d.Turn(turn_id=f"{writer}-{batch}-in", speaker="player", text=f"{writer} asks {batch}"),
                    d.Turn(turn_id=f"{writer}-{batch}", speaker="smith", text=f"{writer} answer {batch}"),
                ])

        threads = [threading.Thread(target=write, args=(front, f"f{f}w{w}"))
                   for f, front in enumerate(fronts) for w in range(WRITERS_PER_FRONT)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        stored = [t.turn_id for t in fronts[1].sessions.get("s").turns]
        assert len(stored) == 2 * WRITERS_PER_FRONT * 2 * BATCHES
        # Each batch is whole: the reply follows its own player line with nothing between.
        assert all(stored[i + 1] == stored[i].removesuffix("-in") for i in range(0, len(stored), 2))
        # Each writer's batches are in the order it committed them.
        for thread_index in range(2 * WRITERS_PER_FRONT):
            writer = f"f{thread_index // WRITERS_PER_FRONT}w{thread_index % WRITERS_PER_FRONT}"
            mine = [turn_id for turn_id in stored if turn_id.startswith(f"{writer}-") and not turn_id.endswith("-in")]
            assert mine == [f"{writer}-{batch}" for batch in range(BATCHES)]
        # Sequence numbers run without gaps: the next append continues right after.
        seqs = [row[0] for row in fronts[0].db.query(text("SELECT seq FROM turns WHERE session_id = 's' ORDER BY seq"))]
        assert seqs == list(range(len(stored)))
    finally:
        for front in fronts:
            front.close()
