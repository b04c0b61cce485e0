"""The Unity client's exchanges with a live server, byte for byte: the WebGL build's gRPC-Web
frames and the desktop build's native gRPC, with results, errors and their details, a missing
key, deadlines and a cancel mid-stream. The Godot add-on runs its own code in test_godot_calls."""

from __future__ import annotations

import asyncio
import base64

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from tests.clients import wire
from tests.clients.conftest import ORIGIN
from tests.clients.stepping_scenes import SteppingSceneService
from harness import KEYS
from worldsmith._proto.worldsmith.v1 import scene_pb2, scene_pb2_grpc

SCENE = "worldsmith.v1.SceneService/GenerateScene"


async def _steps_after(scenes: SteppingSceneService, settle: float = 0.4) -> int:
    """Steps the service runs from now until it has been quiet for `settle` seconds."""
    await asyncio.sleep(0.1)
    before = scenes.steps_run
    await asyncio.sleep(settle)
    return scenes.steps_run - before


# --- Unity WebGL: gRPC-Web binary frames through GrpcWebHandler + UnityWebRequest ----------

def _grpc_web_request(port: int, message: bytes, key: str | None) -> bytes:
    # What GrpcWebHandler(GrpcWebMode.GrpcWeb) sends once UnityWebRequest has dropped the
    # headers browsers refuse (TE, User-Agent).
    headers = ["Content-Type: application/grpc-web", "Accept: application/grpc-web", "X-Grpc-Web: 1",
               "grpc-accept-encoding: identity", "grpc-timeout: 30S"]
    if key:
        headers.append(f"Authorization: Bearer {key}")
    return wire.raw_request(port, SCENE, headers, wire.envelope(message))


async def _grpc_web_stream(stack, request: scene_pb2.GenerateSceneRequest, key: str | None = KEYS["editor"]):
    raw = _grpc_web_request(stack.http.port, request.SerializeToString(), key)
    exchange = await wire.Exchange.open(stack.http.port, raw)
    response = await exchange.read_all(await exchange.response())
    exchange.close()
    frames = wire.EnvelopeReader().feed(response.body)
    messages = [scene_pb2.GenerateSceneResponse.FromString(p) for flags, p in frames if flags == 0]
    trailer_frames = [p for flags, p in frames if flags == 0x80]
    assert len(trailer_frames) == 1 and frames[-1][0] == 0x80
    return response, messages, wire.grpc_web_trailers(trailer_frames[0])


def _interior(objects: int) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, seed=9,
                                          interior=scene_pb2.InteriorParameters(object_count=objects))


async def test_grpc_web_stream_frames(stack):
    response, messages, trailers = await _grpc_web_stream(stack, _interior(3))
    assert response.status == 200 and response.headers["content-type"].startswith("application/grpc-web")
    assert [m.progress.step for m in messages if m.HasField("progress")] == [1, 2, 3]
    assert len(messages[-1].result.graph.nodes) == 3
    assert trailers["grpc-status"] == "0"


async def test_grpc_web_error_details(stack):
    _, messages, trailers = await _grpc_web_stream(stack, _interior(5000))
    assert messages == [] and trailers["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    status = status_pb2.Status.FromString(base64.b64decode(trailers["grpc-status-details-bin"] + "=="))
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert bad_request.field_violations[0].field == "interior.object_count"


async def test_grpc_web_missing_key(stack):
    _, messages, trailers = await _grpc_web_stream(stack, _interior(3), key=None)
    assert messages == [] and trailers["grpc-status"] == str(grpc.StatusCode.UNAUTHENTICATED.value[0])


async def test_grpc_web_cancel_mid_stream_stops_the_work(stack, scenes):
    raw = _grpc_web_request(stack.http.port, _interior(200).SerializeToString(), KEYS["editor"])
    exchange = await wire.Exchange.open(stack.http.port, raw)
    await exchange.response()
    reader = wire.EnvelopeReader()
    async for chunk in exchange.body_chunks():
        if reader.feed(chunk):
            break
    exchange.close()
    assert await _steps_after(scenes) == 0


async def test_cors_preflight_for_browser_builds(stack):
    def preflight(origin: str) -> bytes:
        headers = [f"Origin: {origin}", "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: authorization, content-type, x-grpc-web"]
        lines = [f"OPTIONS /{SCENE} HTTP/1.1", f"Host: 127.0.0.1:{stack.http.port}", *headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    exchange = await wire.Exchange.open(stack.http.port, preflight(ORIGIN))
    allowed = await exchange.read_all(await exchange.response())
    exchange.close()
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "x-grpc-web" in allowed.headers["access-control-allow-headers"].lower()
    exchange = await wire.Exchange.open(stack.http.port, preflight("https://elsewhere.example"))
    refused = await exchange.read_all(await exchange.response())
    exchange.close()
    assert refused.status == 400


# --- Unity desktop: native gRPC over HTTP/2 (YetAnotherHttpHandler) ------------------------

@pytest.fixture
async def scene_stub(stack):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.port}") as channel:
        yield scene_pb2_grpc.SceneServiceStub(channel)


def _metadata(scope: str | None = "editor"):
    return (("authorization", f"Bearer {KEYS[scope]}"),) if scope else ()


async def test_native_grpc_stream(scene_stub):
    call = scene_stub.GenerateScene(_interior(3), metadata=_metadata(), timeout=30)
    events = [event async for event in call]
    assert [e.progress.step for e in events if e.HasField("progress")] == [1, 2, 3]
    assert events[-1].result.recipe.seed == 9


async def test_native_grpc_error_details_and_missing_key(scene_stub):
    call = scene_stub.GenerateScene(_interior(5000), metadata=_metadata(), timeout=30)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in call]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(raised.value)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request) and bad_request.field_violations[0].field == "interior.object_count"

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in scene_stub.GenerateScene(_interior(3), metadata=_metadata(None), timeout=30)]
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_native_grpc_cancel_mid_stream_stops_the_work(scene_stub, scenes):
    call = scene_stub.GenerateScene(_interior(200), metadata=_metadata(), timeout=30)
    async for event in call:
        if event.HasField("progress"):
            break
    call.cancel()  # a CancellationToken fired in C#
    assert await _steps_after(scenes) == 0


async def test_native_grpc_deadline(scene_stub, scenes):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in scene_stub.GenerateScene(_interior(200), metadata=_metadata(), timeout=0.3)]
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert await _steps_after(scenes) == 0
