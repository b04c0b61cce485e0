"""TextureService over real gRPC (the server's generic adapter): stream, BadRequest details, client cancel."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc
from worldsmith.api.adapter import ServiceAdapter
from worldsmith.api.auth import Authenticator
from worldsmith.config import AuthConfig
from worldsmith.runtime import metrics

from texture_helpers import TINY


@pytest.fixture
async def stub(service):
    server = grpc.aio.server()
    descriptor = texture_pb2.DESCRIPTOR.services_by_name["TextureService"]
    server.add_generic_rpc_handlers([ServiceAdapter(descriptor, service, Authenticator(AuthConfig(enabled=False))).generic_handler()])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield texture_pb2_grpc.TextureServiceStub(channel)
    await server.stop(0)


async def test_streamed_generation_over_grpc(stub):
    request = texture_pb2.GenerateTextureRequest(prompt="grass", width=64, height=64, seed=4, steps=4, model=TINY,
                                                 preview_every=2, maps=[texture_pb2.TEXTURE_MAP_ALBEDO, texture_pb2.TEXTURE_MAP_ORM])
    events = [event async for event in stub.GenerateTexture(request)]
    assert events[0].HasField("queued") and events[-1].HasField("result")
    assert any(event.progress.preview_png for event in events if event.HasField("progress"))
    assert [image.map for image in events[-1].result.variations[0].images] == list(request.maps)


async def test_bad_input_is_invalid_argument_with_the_field(stub):
    call = stub.GenerateTexture(texture_pb2.GenerateTextureRequest(prompt="grass", width=100, model=TINY))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        [event async for event in call]
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_pb2.Status.FromString(dict(error.value.trailing_metadata())["grpc-status-details-bin"])
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    assert [violation.field for violation in bad_request.field_violations] == ["width"]


async def test_client_cancel_stops_the_model_within_one_step(stub, diffusion_engine):
    steps = metrics.DIFFUSION_STEPS.labels(diffusion_engine.name)
    call = stub.GenerateTexture(texture_pb2.GenerateTextureRequest(prompt="rock", width=64, height=64, seed=9, steps=40, model=TINY))
    async for event in call:
        if event.HasField("progress") and event.progress.step >= 2:
            call.cancel()
            at_cancel = steps._value.get()
            break
    await asyncio.sleep(0.3)
    assert steps._value.get() - at_cancel <= 1
