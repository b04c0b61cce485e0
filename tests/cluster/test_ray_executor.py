"""runtime.executor = "ray" on a local Ray cluster: dialogue turns stream from a Ray Serve text-generator deployment,
a replica killed under load loses no completed turn while the survivor serves the rest, a client's cancel stops the
replica's work within a token, and a full replica answers RESOURCE_EXHAUSTED with a retry delay. Textures, lore
retrieval and speech run on their own deployments the same way, and a front in another process joins the
cluster by its address and serves from the same replicas."""

from __future__ import annotations

import asyncio
import signal
import time

import grpc
import pytest
import ray
from ray import serve

from harness import KEYS, ServerProcess, auth, channel_to, running, settings_for
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, speech_pb2, speech_pb2_grpc, texture_pb2, texture_pb2_grpc
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc
from worldsmith.errors import ResourceExhausted
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, TextChunk
from worldsmith.runtime.tiny import diffusion as tiny_diffusion
from worldsmith.runtime.tiny import embedder as tiny_embedder

ADMIN = auth("admin")
APP = "worldsmith-test"
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray instance on loopback for this module, with room for every deployment of the front below."""
    ray.init(address="local", num_cpus=4, include_dashboard=False, namespace="worldsmith", log_to_driver=False,
             _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        serve.shutdown()
        ray.shutdown()


@pytest.fixture(scope="module")
async def ray_front(ray_cluster, tiny_text_model, tmp_path_factory):
    """A front whose dialogue model runs as a two-replica deployment on the cluster, beside a one-replica text
    model and one replica each of a diffusion model, an embedder and a speech model."""
    models = tmp_path_factory.mktemp("ray-models")
    tiny_diffusion.make(models / "diffusion")
    tiny_embedder.make(models / "embedder")
    settings = settings_for(
        tmp_path_factory.mktemp("ray-front"),
        runtime={"executor": "ray", "ray_app": APP},
        models={"dialogue": {"kind": "text-generator", "source": str(tiny_text_model), "replicas": 2,
                             "replica_cpus": 0.5, "max_ongoing_requests": 8},
                # One replica that runs one request and lets one more wait.
                "narrow": {"kind": "text-generator", "source": str(tiny_text_model), "replica_cpus": 0.5,
                           "max_ongoing_requests": 1, "max_queued_requests": 1},
                "textures": {"kind": "diffusion", "source": str(models / "diffusion"), "replica_cpus": 0.25},
                "embedder": {"kind": "embedder", "source": str(models / "embedder"), "replica_cpus": 0.25},
                "speech": {"kind": "speech", "source": "package:hibari", "replica_cpus": 0.25}},
        dialogue={"model": "dialogue", "embedder": "embedder", "max_new_tokens": 24, "max_utterance_chars": 400},
        textures={"models": ["textures"]},
        speech={"model": "speech"},
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


async def say(stub, session_id: str, utterance: str, max_new_tokens: int = 24,
              metadata=ADMIN) -> tuple[list[str], d.TurnCompleted]:
    deltas, completed = [], None
    async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=utterance, options=d.GenerationOptions(
            seed=7, max_new_tokens=max_new_tokens)), metadata=metadata):
        if response.WhichOneof("event") == "text_delta":
            deltas.append(response.text_delta.text)
        elif response.WhichOneof("event") == "turn_completed":
            completed = response.turn_completed
    return deltas, completed


def replica_actors() -> list:
    names = [entry["name"] for entry in ray.util.list_named_actors(all_namespaces=True)
             if entry["name"].startswith(f"SERVE_REPLICA::{APP}#dialogue#")]
    return [ray.get_actor(name, namespace="serve") for name in names]


async def replica_records(deployment: str = "dialogue") -> dict[str, object]:
    """Each live replica's record of what it served, by replica (calls are routed at random: ask often)."""
    handle = serve.get_deployment_handle(deployment, app_name=APP)
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
    stopped, tokens_after = await until_stopped(before, "worldsmith_dialogue_tokens_after_cancel")
    assert stopped == 1, "the replica never saw the cancel"
    assert tokens_after <= 1


async def until_stopped(before: dict, metric: str, deployment: str = "dialogue") -> tuple[float, float]:
    """(jobs stopped, work after their stops) the deployment's replicas observed in `metric` since `before`, once
    some job has stopped (or after 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        after = await replica_records(deployment)
        deltas = [(count - before[replica].after_cancel[metric][0] if replica in before else count,
                   total - before[replica].after_cancel[metric][1] if replica in before else total)
                  for replica, record in after.items() for count, total in [record.after_cancel[metric]]]
        stopped, work = sum(count for count, _ in deltas), sum(total for _, total in deltas)
        if stopped or time.monotonic() > deadline:
            return stopped, work
        await asyncio.sleep(0.2)


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


async def test_every_model_is_a_ready_deployment_reporting_its_replicas_facts(ray_front):
    async with channel_to(ray_front) as channel:
        models = (await admin_pb2_grpc.AdminServiceStub(channel).ListModels(admin_pb2.ListModelsRequest(),
                                                                             metadata=ADMIN)).models
    assert {model.name for model in models} == {"dialogue", "narrow", "textures", "embedder", "speech"}
    for model in models:
        assert model.state == admin_pb2.MODEL_STATE_READY, model
        assert model.device == "ray:cpu" and model.memory_bytes > 0, model


async def test_textures_stream_steps_and_previews_from_the_diffusion_deployment(ray_front):
    before = await replica_records("textures")
    async with channel_to(ray_front) as channel:
        stub = texture_pb2_grpc.TextureServiceStub(channel)
        request = texture_pb2.GenerateTextureRequest(prompt="mossy stone", width=64, height=64, seed=4, steps=4,
                                                     preview_every=2, maps=[texture_pb2.TEXTURE_MAP_ALBEDO])
        events = [event async for event in stub.GenerateTexture(request, metadata=ADMIN)]
    steps = [event.progress.step for event in events if event.HasField("progress") and event.progress.stage == "denoise"]
    assert steps == [1, 2, 3, 4]
    assert any(event.progress.preview_png for event in events if event.HasField("progress"))
    result = events[-1].result
    assert result.variations[0].images[0].png.startswith(b"\x89PNG")
    assert result.variations[0].recipe.model_id.endswith("diffusion")  # the model the replica loaded
    after = await replica_records("textures")
    assert sum(record.calls for record in after.values()) > sum(record.calls for record in before.values())


async def test_a_cancelled_texture_stops_the_diffusion_replica_within_a_step(ray_front):
    before = await replica_records("textures")
    async with channel_to(ray_front) as channel:
        stub = texture_pb2_grpc.TextureServiceStub(channel)
        call = stub.GenerateTexture(texture_pb2.GenerateTextureRequest(prompt="rock", width=64, height=64, seed=9,
                                                                       steps=100), metadata=ADMIN)
        async for event in call:
            if event.HasField("progress") and event.progress.step >= 2:
                call.cancel()
                break
    stopped, steps_after = await until_stopped(before, "worldsmith_diffusion_steps_after_cancel", "textures")
    assert stopped == 1, "the diffusion replica never saw the cancel"
    assert steps_after <= 1


async def test_lore_retrieval_embeds_on_the_embedder_deployment(ray_front):
    before = await replica_records("embedder")
    async with channel_to(ray_front) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        await stub.UpsertLore(d.UpsertLoreRequest(entries=[
            # Untagged: common knowledge, so every character's turn retrieves from them.
            d.LoreEntry(id="mine", text="The old mine north of the village flooded in the spring."),
            d.LoreEntry(id="mill", text="The mill wheel turns day and night.")]), metadata=ADMIN)
        session_id = await open_session(stub, 30)
        _deltas, completed = await say(stub, session_id, "What happened to the old mine?", max_new_tokens=4)
        assert completed is not None
    after = await replica_records("embedder")
    assert sum(record.calls for record in after.values()) > sum(record.calls for record in before.values())


async def test_speech_streams_audio_and_visemes_from_the_speech_deployment(ray_front):
    async with channel_to(ray_front) as channel:
        stub = speech_pb2_grpc.SpeechServiceStub(channel)
        voices = await stub.ListVoices(speech_pb2.ListVoicesRequest(), metadata=ADMIN)
        events = [event async for event in stub.Speak(speech_pb2.SpeakRequest(text="The forge is hot today."),
                                                      metadata=ADMIN)]
    assert voices.voices and voices.sample_rate > 0
    audio = b"".join(event.audio.pcm for event in events if event.HasField("audio"))
    visemes = [event.viseme.name for event in events if event.HasField("viseme")]
    assert len(audio) / 2 / voices.sample_rate > 0.5  # over half a second of speech
    assert len(set(visemes)) > 3


async def test_a_front_in_another_process_joins_the_cluster_by_address_and_uses_the_running_deployments(
        ray_front, tiny_text_model, tmp_path):
    config = tmp_path / "worldsmith.toml"
    config.write_text(f"""
[runtime]
executor = "ray"
ray_address = "{ray.get_runtime_context().gcs_address}"
ray_app = "{APP}"

[models.dialogue]
kind = "text-generator"
source = "{tiny_text_model}"

[dialogue]
model = "dialogue"
max_new_tokens = 8
""")
    before = sum(record.calls for record in (await replica_records()).values())
    front = await asyncio.to_thread(ServerProcess(["--config", str(config), "--data-dir", str(tmp_path / "data")],
                                                  env={"WORLDSMITH_CONFIG": None}).start, 240)
    try:
        editor = (("authorization", f"Bearer {KEYS['editor']}"),)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{front.port}") as channel:
            stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
            await stub.UpsertCharacter(d.UpsertCharacterRequest(character=character(40)), metadata=editor)
            session_id = (await stub.CreateSession(d.CreateSessionRequest(character_ids=["smith-40"]),
                                                   metadata=editor)).session.id
            _deltas, completed = await say(stub, session_id, "Who are you?", max_new_tokens=4, metadata=editor)
            assert completed is not None and completed.text
    finally:
        front.signal(signal.SIGTERM)
        _code, output = await asyncio.to_thread(front.wait, 60)
    assert "is running; this front uses it" in output  # it did not deploy a second copy
    after = sum(record.calls for record in (await replica_records()).values())
    assert after > before  # the turn ran on the cluster's replicas
