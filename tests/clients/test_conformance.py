"""The Unity client's gRPC-Web and native gRPC exchanges, built from its C# source, against a live server."""

from __future__ import annotations

import asyncio
import base64

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from tests.clients import csharp_client, wire
from tests.clients.conftest import ORIGIN
from harness import KEYS
from worldsmith._proto.worldsmith.v1 import scene_pb2

# From the C# source: the generated stubs' paths and kinds, CallDefaultsInterceptor's key header and
# WorldsmithClientOptions' default deadline; UnityWebRequestHandler's dropped headers further down.
RPCS = {(rpc.service.rsplit(".", 1)[-1], rpc.method): rpc for rpc in csharp_client.rpcs()}
GENERATE_SCENE = RPCS["SceneService", "GenerateScene"]
DEFAULTS = csharp_client.call_defaults()
#: What grpc-dotnet (GrpcChannel + GrpcWebHandler in GrpcWeb mode) sets on a call before the
#: client's own metadata; the library's behaviour, not ours.
GRPC_WEB_STACK_HEADERS = {
    "content-type": "application/grpc-web", "accept": "application/grpc-web", "x-grpc-web": "1",
    "te": "trailers", "user-agent": "grpc-dotnet/2.67.0", "grpc-accept-encoding": "identity,gzip,deflate",
}
#: Request headers browsers refuse from scripts (the Fetch standard's forbidden names that the
#: stack above or HttpClient could set).
BROWSER_REFUSED = {"te", "host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


# --- Both transports: the generated stubs against the served contract ---------------------

_KINDS = {(False, False): "Unary", (False, True): "ServerStreaming", (True, False): "ClientStreaming",
          (True, True): "DuplexStreaming"}


def _served_rpcs(port: int) -> dict[str, tuple[str, str, str]]:
    """Path -> (kind, request type, response type) for every method the server's reflection lists."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        pool = descriptor_pool.DescriptorPool(database)
        served = {}
        for service_name in database.get_services():
            for method in pool.FindServiceByName(service_name).methods:
                kind = _KINDS[method.client_streaming, method.server_streaming]
                served[f"/{service_name}/{method.name}"] = (kind, method.input_type.full_name,
                                                           method.output_type.full_name)
        return served


async def test_every_rpc_of_the_csharp_stubs_is_served_with_its_shape(stack):
    served = await asyncio.wait_for(asyncio.to_thread(_served_rpcs, stack.port), timeout=30)
    mismatched = [rpc for rpc in RPCS.values()
                  if served.get(rpc.path) != (rpc.kind, rpc.request_type, rpc.response_type)]
    assert not mismatched, mismatched


# --- Unity WebGL: gRPC-Web binary frames through GrpcWebHandler + UnityWebRequest ----------

def _grpc_web_request(port: int, message: bytes, key: str) -> bytes:
    """What a WebGL build sends: the stack's headers, the interceptor's key and deadline, less
    what UnityWebRequestHandler leaves out; the browser adds Host and Content-Length."""
    headers = {**GRPC_WEB_STACK_HEADERS, "grpc-timeout": f"{int(DEFAULTS.deadline_s * 1000)}m"}
    headers.update(DEFAULTS.metadata(key))
    forbidden = csharp_client.web_forbidden_headers()
    lines = [f"{name}: {value}" for name, value in headers.items() if name not in forbidden]
    return wire.raw_request(port, GENERATE_SCENE.path.lstrip("/"), lines, wire.envelope(message))


async def _grpc_web_stream(stack, request: scene_pb2.GenerateSceneRequest, key: str = KEYS["editor"]):
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


def test_webgl_handler_leaves_out_what_browsers_refuse():
    assert BROWSER_REFUSED <= csharp_client.web_forbidden_headers()


async def test_grpc_web_missing_key(stack):
    _, messages, trailers = await _grpc_web_stream(stack, _interior(3), key="")
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
    assert await scenes.steps_after() == 0


async def test_cors_preflight_for_browser_builds(stack):
    def preflight(origin: str) -> bytes:
        headers = [f"Origin: {origin}", "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: authorization, content-type, x-grpc-web"]
        lines = [f"OPTIONS {GENERATE_SCENE.path} HTTP/1.1", f"Host: 127.0.0.1:{stack.http.port}", *headers]
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
async def channel(stack):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.port}") as channel:
        yield channel


def _generate_scene(channel, request: scene_pb2.GenerateSceneRequest, key: str = KEYS["editor"],
                    timeout: float = DEFAULTS.deadline_s):
    """SceneService.SceneServiceClient.GenerateScene through CallDefaultsInterceptor."""
    assert GENERATE_SCENE.kind == "ServerStreaming"
    assert GENERATE_SCENE.request_type == request.DESCRIPTOR.full_name
    call = channel.unary_stream(GENERATE_SCENE.path,
                                request_serializer=scene_pb2.GenerateSceneRequest.SerializeToString,
                                response_deserializer=scene_pb2.GenerateSceneResponse.FromString)
    return call(request, metadata=DEFAULTS.metadata(key), timeout=timeout)


async def test_native_grpc_stream(channel):
    call = _generate_scene(channel, _interior(3))
    events = [event async for event in call]
    assert [e.progress.step for e in events if e.HasField("progress")] == [1, 2, 3]
    assert events[-1].result.recipe.seed == 9


async def test_native_grpc_error_details_and_missing_key(channel):
    call = _generate_scene(channel, _interior(5000))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in call]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(raised.value)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request) and bad_request.field_violations[0].field == "interior.object_count"

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in _generate_scene(channel, _interior(3), key="")]
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_native_grpc_cancel_mid_stream_stops_the_work(channel, scenes):
    call = _generate_scene(channel, _interior(200))
    async for event in call:
        if event.HasField("progress"):
            break
    call.cancel()  # a CancellationToken fired in C#
    assert await scenes.steps_after() == 0


async def test_native_grpc_deadline(channel, scenes):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [event async for event in _generate_scene(channel, _interior(200), timeout=0.3)]
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert await scenes.steps_after() == 0
