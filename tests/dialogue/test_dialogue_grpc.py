"""Dialogue over the wire: the real grpc.aio server and the generic adapter in front of DialogueService."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from .dialogue_helpers import blacksmith, quartermaster
from harness import channel_to, running, settings_for
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc


@pytest.fixture(scope="module")
async def dialogue_server(tmp_path_factory, tiny_model_dir):
    """The real server with the tiny chat model as its dialogue model (auth off: these tests are about turns)."""
    settings = settings_for(
        tmp_path_factory.mktemp("dialogue-server"),
        auth={"enabled": False},
        models={"dialogue": {"kind": "text-generator", "source": str(tiny_model_dir)}},
        dialogue={"model": "dialogue", "max_new_tokens": 24, "max_utterance_chars": 400},
    )
    async with running(settings) as server:
        yield server


@pytest.fixture
async def stub(dialogue_server):
    async with channel_to(dialogue_server) as channel:
        yield dialogue_pb2_grpc.DialogueServiceStub(channel)


async def create(stub, *cards) -> str:
    for card in cards:
        await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card))
    return (await stub.CreateSession(d.CreateSessionRequest(character_ids=[c.id for c in cards]))).session.id


def field_violations(error: grpc.aio.AioRpcError) -> list[str]:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad_request = error_details_pb2.BadRequest()
                    detail.Unpack(bad_request)
                    return [v.field for v in bad_request.field_violations]
    return []


async def test_say_streams_a_turn_over_grpc(stub):
    session_id = await create(stub, blacksmith())
    responses = [r async for r in stub.Say(d.SayRequest(session_id=session_id, utterance="Hello!",
                                                          options=d.GenerationOptions(seed=1, max_new_tokens=12)))]
    kinds = [r.WhichOneof("event") for r in responses]
    assert kinds[0] == "turn_started" and kinds[-1] == "turn_completed" and "text_delta" in kinds
    text = "".join(r.text_delta.text for r in responses if r.WhichOneof("event") == "text_delta")
    assert responses[-1].turn_completed.text == text.strip()


async def test_converse_with_an_action_round_trip_over_grpc(stub):
    session_id = await create(stub, quartermaster())
    outgoing: asyncio.Queue = asyncio.Queue()

    async def requests():
        while (message := await outgoing.get()) is not None:
            yield message

    call = stub.Converse(requests())
    outgoing.put_nowait(d.ConverseRequest(start=d.ConverseStart(session_id=session_id,
                                                                options=d.GenerationOptions(max_new_tokens=16))))
    completed = []
    calls = 0
    for seed in range(1, 30):
        outgoing.put_nowait(d.ConverseRequest(utterance=d.PlayerUtterance(text=f"A shield, please ({seed}).")))
        async for response in call:
            kind = response.WhichOneof("event")
            if kind == "action_call":
                calls += 1
                outgoing.put_nowait(d.ConverseRequest(action_result=d.ActionResult(
                    call_id=response.action_call.call_id, success=True)))
            if kind == "turn_completed":
                completed.append(response.turn_completed)
                break
        if calls:
            break
    outgoing.put_nowait(None)
    assert [r async for r in call] == []
    assert calls >= 1 and all(not c.interrupted for c in completed)


async def test_bad_input_is_invalid_argument_with_the_field_over_grpc(stub):
    session_id = await create(stub, blacksmith())
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        async for _ in stub.Say(d.SayRequest(session_id=session_id, utterance="")):
            pass
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(raised.value) == ["utterance"]
    bad_card = blacksmith(actions=[d.ActionSpec(name="x"), d.ActionSpec(name="x")])
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.UpsertCharacter(d.UpsertCharacterRequest(character=bad_card))
    assert field_violations(raised.value) == ["character.actions[1].name"]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetSession(d.GetSessionRequest(session_id="missing"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND and "session_id" in raised.value.details()


async def test_a_client_cancel_keeps_only_the_delivered_text_over_grpc(stub):
    session_id = await create(stub, blacksmith())
    call = stub.Say(d.SayRequest(session_id=session_id, utterance="Tell me everything.",
                                 options=d.GenerationOptions(seed=2, max_new_tokens=400)))
    received = ""
    async for response in call:
        if response.WhichOneof("event") == "text_delta":
            received += response.text_delta.text
            if len(received) > 10:
                break
    call.cancel()
    for _ in range(100):
        stored = (await stub.GetSession(d.GetSessionRequest(session_id=session_id))).session
        if len(stored.turns) == 2:
            break
        await asyncio.sleep(0.05)
    npc = stored.turns[1]
    assert npc.interrupted and received.strip().startswith(npc.text) and npc.text


async def test_dialogue_reports_serving_once_its_model_is_resident(dialogue_server):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with channel_to(dialogue_server) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.DialogueService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
