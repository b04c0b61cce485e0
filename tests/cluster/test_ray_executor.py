"""runtime.executor = "ray" on a local Ray cluster: dialogue turns stream from a Ray Serve text-generator deployment,
a replica killed under load loses no completed turn while the survivor serves the rest, and a client's cancel
stops the replica's work within a token, and a full replica answers RESOURCE_EXHAUSTED with a retry delay."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
import ray
from ray import serve

from harness import auth, channel_to, running, settings_for
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc
from worldsmith.errors import ResourceExhausted
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, TextChunk

ADMIN = auth("admin")
APP = "worldsmith-test"
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray instance on loopback for this module, with the room of two text-generator replicas."""
    ray.init(num_cpus=2, include_dashboard=False, namespace="worldsmith", log_to_driver=False,
             _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
async def ray_front(ray_cluster, tiny_text_model, tmp_path_factory):
    """A front whose dialogue model runs as a two-replica deployment on the cluster, beside a one-replica model."""
    settings = settings_for(
        tmp_path_factory.mktemp("ray-front"),
        runtime={"executor": "ray", "ray_app": APP},
        models={"dialogue": {"kind": "text-generator", "source": str(tiny_text_model), "replicas": 2,
                             "replica_cpus": 0.5, "max_ongoing_requests": 8},
                # One replica that runs one request and lets one more wait.
                "narrow": {"kind": "text-generator", "source": str(tiny_text_model), "replica_cpus": 0.5,
                           "max_ongoing_requests": 1, "max_queued_requests": 1}},
        dialogue={"model": "dialogue", "max_new_tokens": 24, "max_utterance_chars": 400},
    )
    async with running(settings) as server:
        yield server


def character(i: int) -> d.Character:
    # Each its own system prompt, so turns spread over the replicas rather than all preferring one.
    return d.Character(id=f"smith-{i}", name=f"Bram {i}", role=f"blacksmith number {i} of the valley",
                       speaking_style="Short sentences.")


async def open_session(stub, i: int) -> str:
    await stub.UpsertCharacter(d.UpsertCharacterRequest(character=character(i)), metadata=ADMIN)
    return (await stub.CreateSession(d.CreateSessionRequest(character_ids=[f"smith-{i}"]), metadata=ADMIN)).session.id


async def say(stub, session_id: str, utterance: str, max_new_tokens: int = 24) -> tuple[list[str], d.TurnCompleted]:
    deltas, completed = [], None
    async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=utterance, options=d.GenerationOptions(
            seed=7, max_new_tokens=max_new_tokens)), metadata=ADMIN):
        if response.WhichOneof("event") == "text_delta":
            deltas.append(response.text_delta.text)
        elif response.WhichOneof("event") == "turn_completed":
            completed = response.turn_completed
    return deltas, completed


def replica_actors() -> list:
    names = [entry["name"] for entry in ray.util.list_named_actors(all_namespaces=True)
             if entry["name"].startswith(f"SERVE_REPLICA::{APP}#dialogue#")]
    return [ray.get_actor(name, namespace="serve") for name in names]


async def replica_records() -> dict[str, object]:
    """Each live replica's record of what it served, by replica (calls are routed at random: ask often)."""
    handle = serve.get_deployment_handle("dialogue", app_name=APP)
    records = {}
    for _ in range(24):
        record = await handle.replica_record.remote()
        records[record.replica] = record
    return records


async def test_dialogue_turns_stream_text_from_the_ray_deployment(ray_front):
    async with channel_to(ray_front) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        session_id = await open_session(stub, 0)
        deltas, completed = await say(stub, session_id, "What of the sword?")
        assert completed is not None and not completed.interrupted
        assert len(deltas) > 1 and "".join(deltas).strip()  # streamed in pieces, not one block at the end
        assert completed.completion_tokens > 1
        session = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=ADMIN)).session
        assert [turn.speaker for turn in session.turns] == ["player", "smith-0"]
    assert len(replica_actors()) == 2


async def test_a_conversations_turns_return_to_the_replica_that_served_it(ray_front):
    before = {replica: set(record.affinities) for replica, record in (await replica_records()).items()}
    async with channel_to(ray_front) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        session_id = await open_session(stub, 2)
        for i in range(4):
            _deltas, completed = await say(stub, session_id, f"Question {i}: what of the hammer?", max_new_tokens=4)
            assert completed is not None
    after = {replica: set(record.affinities) for replica, record in (await replica_records()).items()}
    new_keys = {replica: keys - before.get(replica, set()) for replica, keys in after.items()}
    # The conversation's key (its system prompt) was served by one replica only, every turn of it.
    assert sum(1 for keys in new_keys.values() if keys) == 1, new_keys


async def test_a_client_cancel_stops_the_replicas_work_within_a_token(ray_front):
    before = await replica_records()
    async with channel_to(ray_front) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        session_id = await open_session(stub, 1)
        call = stub.Say(d.SayRequest(session_id=session_id, utterance="Tell me everything.",
                                     options=d.GenerationOptions(seed=3, max_new_tokens=1000)), metadata=ADMIN)
        async for response in call:
            if response.WhichOneof("event") == "text_delta":
                call.cancel()
                break
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        after = await replica_records()
        cancelled = [entry for replica, record in after.items() for entry in record.cancelled[
            len(before[replica].cancelled) if replica in before else 0:]]
        if cancelled:
            break
        await asyncio.sleep(0.2)
    assert len(cancelled) == 1, "the replica never saw the cancel"
    (tokens_after_cancel, completion_tokens), = cancelled
    assert tokens_after_cancel <= 1
    assert completion_tokens < 1000  # it stopped instead of generating to the limit


async def test_a_replica_killed_under_load_loses_no_completed_turn_and_the_survivor_serves_the_rest(ray_front):
    async with channel_to(ray_front) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        sessions = [await open_session(stub, 10 + i) for i in range(8)]
        started = asyncio.Event()
        unavailable: list[str] = []

        async def one_turn(session_id: str) -> d.TurnCompleted:
            """A game client's turn: on UNAVAILABLE (its replica died) it sends the turn again."""
            for _attempt in range(3):
                try:
                    deltas, completed = [], None
                    async for response in stub.Say(d.SayRequest(
                            session_id=session_id, utterance="Forge me a blade.",
                            options=d.GenerationOptions(seed=5, max_new_tokens=200)), metadata=ADMIN):
                        if response.WhichOneof("event") == "text_delta":
                            started.set()
                        elif response.WhichOneof("event") == "turn_completed":
                            completed = response.turn_completed
                    return completed
                except grpc.aio.AioRpcError as error:
                    assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()
                    unavailable.append(session_id)
            raise AssertionError(f"session {session_id} never completed its turn")

        turns = [asyncio.create_task(one_turn(session_id)) for session_id in sessions]
        await asyncio.wait_for(started.wait(), 60)
        victim = replica_actors()[0]
        ray.kill(victim, no_restart=True)
        completed = await asyncio.wait_for(asyncio.gather(*turns), 120)
        assert unavailable, "the killed replica had turns in flight; their callers should have seen UNAVAILABLE"

        for session_id, turn in zip(sessions, completed):
            assert turn is not None and not turn.interrupted
            history = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=ADMIN)).session
            replies = [t.text for t in history.turns if t.speaker != "player"]
            assert turn.text in replies  # the completed turn is in the session, whatever replica served it
        # After the kill, new turns still complete (the survivor, or its replacement once ready).
        _deltas, after = await say(stub, sessions[0], "And a shield?")
        assert after is not None and not after.interrupted


async def test_a_full_replica_answers_resource_exhausted_with_a_retry_delay(ray_front):
    engine = ray_front.registry.get("narrow")
    request = GenerationRequest(messages=[{"role": "user", "content": "Talk."}], max_new_tokens=1500)
    running_now = asyncio.Event()

    async def generate() -> None:
        async for event in engine.submit(request, CallContext()).events():
            if isinstance(event, TextChunk):
                running_now.set()

    running_call = asyncio.create_task(generate())
    await asyncio.wait_for(running_now.wait(), 30)
    waiting_call = asyncio.create_task(generate())
    await asyncio.sleep(0.2)
    try:
        with pytest.raises(ResourceExhausted) as refused:
            await generate()
        assert refused.value.retry_after_s > 0
        assert not running_call.done() and not waiting_call.done()
    finally:
        for call in (running_call, waiting_call):
            call.cancel()
        await asyncio.gather(running_call, waiting_call, return_exceptions=True)
