"""Check a running cluster as a game would use it: one conversation alternating between the fronts, then many at
once while one dialogue replica is killed, and every turn a client saw complete found in its session.

    python deploy/check_cluster.py --fronts 127.0.0.1:50051,127.0.0.1:50052
Run it on a machine of the Ray cluster (it kills the replica through Ray). Exits 1 when a turn is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys

import grpc

from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc

BRAM = d.Character(id="bram", name="Bram", role="the blacksmith of Varrow",
                   speaking_style="Gruff and short. Talks about iron, fire and the weather.")
RETRIES = 3
MAX_TURNS_UNDER_LOAD = 100  # per conversation, should no replica be caught with calls open sooner


def editor_key() -> str:
    """The editor key of WORLDSMITH_API_KEYS (as deploy/local-cluster.sh sets it), else its development default."""
    for entry in os.environ.get("WORLDSMITH_API_KEYS", "").split(","):
        scope, _, key = entry.partition(":")
        if scope == "editor":
            return key
    return "dev-editor-key"


async def turn(stub, session_id: str, utterance: str, metadata, unavailable: list[str]) -> d.TurnCompleted:
    """One turn; sent again when its replica is lost (UNAVAILABLE), as a game client does."""
    for attempt in itertools.count(1):
        try:
            async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=utterance), metadata=metadata,
                                           timeout=120):
                if response.WhichOneof("event") == "turn_completed":
                    return response.turn_completed
            raise RuntimeError(f"{session_id}: the stream ended without TurnCompleted")
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == RETRIES:
                raise
            unavailable.append(session_id)


async def stored_replies(stub, session_id: str, metadata) -> tuple[list[str], str]:
    """The NPC's stored replies and the session's summary (of the turns folded out of the prompt)."""
    session = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=metadata)).session
    return [t.text for t in session.turns if t.speaker != "player" and not t.interrupted], session.summary


def lost(replies: list[str], stored: list[str], summary: str) -> int:
    """Replies a client saw complete that the session lacks; the oldest may be folded into its summary."""
    missing = [text for text in replies if text not in stored]
    folded = bool(summary) and missing == replies[:len(missing)] and stored == replies[len(missing):]
    return 0 if not missing or folded else len(missing)


async def across_fronts(stubs, metadata, turns: int) -> bool:
    """One conversation whose turns alternate between the fronts; each front must then show the whole of it."""
    session_id = (await stubs[0].CreateSession(d.CreateSessionRequest(character_ids=["bram"]),
                                               metadata=metadata)).session.id
    replies = []
    for i in range(turns):
        front = i % len(stubs)
        completed = await turn(stubs[front], session_id, f"Question {i + 1}: what are you forging today?", metadata, [])
        replies.append(completed.text)
        print(f"  front {front + 1}, turn {i + 1}: Bram: {completed.text.strip()}")
    whole = [not lost(replies, *await stored_replies(stub, session_id, metadata)) for stub in stubs]
    print(f"conversation across {len(stubs)} fronts: {turns} turns, kept whole on every front: {all(whole)}")
    return all(whole)


async def replica_killed_under_load(stubs, metadata, sessions: int, turns: int, app: str) -> bool:
    """`sessions` conversations at once over all fronts, each talking on (at least `turns` turns) until a dialogue
    replica has been killed while it had calls open."""
    dialogue = dialogue_deployment(app)  # connected before the load: joining Ray takes seconds
    ids = [(await stubs[0].CreateSession(d.CreateSessionRequest(character_ids=["bram"]),
                                         metadata=metadata)).session.id for _ in range(sessions)]
    seen: dict[str, list[str]] = {session_id: [] for session_id in ids}
    unavailable: list[str] = []
    killed = asyncio.Event()

    async def conversation(i: int, session_id: str) -> None:
        for t in range(MAX_TURNS_UNDER_LOAD):
            if t >= turns and killed.is_set():
                return
            completed = await turn(stubs[(i + t) % len(stubs)], session_id, f"Tell me about the mine, part {t + 1}.",
                                   metadata, unavailable)
            seen[session_id].append(completed.text)

    talking = asyncio.ensure_future(asyncio.gather(*(conversation(i, session_id) for i, session_id in enumerate(ids))))
    victim = await kill_busy_replica(dialogue, app, talking)
    killed.set()
    await talking  # a turn that failed for good raises here
    missing = 0
    for i, session_id in enumerate(ids):
        missing += lost(seen[session_id], *await stored_replies(stubs[i % len(stubs)], session_id, metadata))
    completed = sum(map(len, seen.values()))
    print(f"replica {victim} killed under load: {completed} turns completed, {len(unavailable)} sent again after "
          f"UNAVAILABLE, {missing} lost")
    return missing == 0 and all(len(replies) >= turns for replies in seen.values())


def dialogue_deployment(app: str):
    """A handle on the dialogue deployment of `app`, through Ray (as deploy/local-cluster.sh starts it)."""
    os.environ.setdefault("RAY_AUTH_MODE", "token")  # read at import
    import ray
    from ray import serve

    ray.init(address="auto", namespace="worldsmith", log_to_driver=False)
    return serve.get_deployment_handle("dialogue", app_name=app)


async def kill_busy_replica(dialogue, app: str, talking: asyncio.Future) -> str:
    """Kill the dialogue replica with the most calls open, as soon as one has some (the load runs until then)."""
    import ray

    records: dict[str, int] = {}
    while not talking.done():
        records = {}
        for _ in range(16):  # calls land on either replica: ask until every one has answered
            record = await dialogue.replica_record.remote()
            records[record.replica] = record.open_calls
        if max(records.values()) > 0:
            break
    victim = max(records, key=records.get)
    ray.kill(ray.get_actor(f"SERVE_REPLICA::{app}#dialogue#{victim}", namespace="serve"), no_restart=True)
    return f"{victim} ({records[victim]} calls open; the others {sorted(v for k, v in records.items() if k != victim)})"


async def main(args) -> int:
    metadata = (("authorization", f"Bearer {editor_key()}"),)
    channels = [grpc.aio.insecure_channel(address) for address in args.fronts.split(",")]
    stubs = [dialogue_pb2_grpc.DialogueServiceStub(channel) for channel in channels]
    await stubs[0].UpsertCharacter(d.UpsertCharacterRequest(character=BRAM), metadata=metadata)
    ok = await across_fronts(stubs, metadata, args.turns)
    ok = await replica_killed_under_load(stubs, metadata, args.sessions, 2, args.app) and ok
    for channel in channels:
        await channel.close()
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fronts", default="127.0.0.1:50051,127.0.0.1:50052")
    parser.add_argument("--turns", type=int, default=6, help="turns of the conversation across the fronts")
    parser.add_argument("--sessions", type=int, default=8, help="conversations at once while a replica is killed")
    parser.add_argument("--app", default="worldsmith", help="the Ray Serve application (runtime.ray_app)")
    sys.exit(asyncio.run(main(parser.parse_args())))
