"""Avatars over the wire: the real server streams progress, then a GLB whose DNA regenerates it."""

from __future__ import annotations

import grpc
import pytest

from harness import auth, bad_request_fields


async def test_create_avatar_streams_stages_then_a_result_over_grpc(channel):
    from worldsmith._proto.worldsmith.v1 import avatar_pb2, avatar_pb2_grpc

    stub = avatar_pb2_grpc.AvatarServiceStub(channel)
    request = avatar_pb2.CreateAvatarRequest(description="short dwarf smith, red beard", seed=4, texture_size=256)
    events = [response async for response in stub.CreateAvatar(request, metadata=auth("runtime"))]
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "queued" and "progress" in kinds and kinds[-1] == "result" and kinds.count("result") == 1
    result = events[-1].result
    assert result.glb[:4] == b"glTF" and len(result.lods) >= 1
    again = [r async for r in stub.CreateAvatar(avatar_pb2.CreateAvatarRequest(dna=result.dna, texture_size=256), metadata=auth("runtime"))]
    assert again[-1].result.glb == result.glb


async def test_a_forty_metre_avatar_is_refused_naming_the_field(channel):
    from worldsmith._proto.worldsmith.v1 import avatar_pb2, avatar_pb2_grpc

    stub = avatar_pb2_grpc.AvatarServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for _ in stub.CreateAvatar(avatar_pb2.CreateAvatarRequest(parameters=avatar_pb2.AvatarParameters(height_m=40)), metadata=auth("runtime")):
            pass
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "parameters.height_m" in bad_request_fields(error.value)
