"""AvatarService over the shared CPU engine: queued, progress by stage, one result; options; errors."""

from __future__ import annotations

import pytest

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars.service import AvatarService
from worldsmith.config import AvatarsConfig
from worldsmith.errors import Cancelled, InvalidArgument
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine


@pytest.fixture
async def service():
    engine = FunctionEngine("cpu-avatars", concurrency=1)
    await engine.start()
    yield AvatarService(AvatarsConfig(max_texture_size=1024), engine)
    await engine.stop()


async def test_create_streams_queued_progress_then_one_result(service):
    request = avatar_pb2.CreateAvatarRequest(description="tall elf ranger, green cloak", seed=7, texture_size=256)
    events = [event async for event in service.CreateAvatar(request, CallContext())]
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "queued" and kinds[-1] == "result" and kinds.count("result") == 1
    stages = [event.progress.stage for event in events if event.HasField("progress")]
    assert stages == ["parameters", "skeleton", "texture", "lod0", "lod1", "lod2", "sidecars"]
    steps = [(event.progress.step, event.progress.total) for event in events if event.HasField("progress")]
    assert steps == [(i, 7) for i in range(1, 8)]
    result = events[-1].result
    assert result.glb[:4] == b"glTF" and len(result.lods) == 2 and result.dna.seed == 7


async def test_bad_input_fails_before_queueing(service):
    request = avatar_pb2.CreateAvatarRequest(parameters=avatar_pb2.AvatarParameters(height_m=40.0))
    with pytest.raises(InvalidArgument) as error:
        async for _ in service.CreateAvatar(request, CallContext()):
            pass
    assert error.value.violations[0][0] == "parameters.height_m"
    with pytest.raises(InvalidArgument):
        async for _ in service.CreateAvatar(avatar_pb2.CreateAvatarRequest(description="elf", texture_size=2048), CallContext()):
            pass  # over this server's configured limit
    assert service.engine.queued() == 0


async def test_cancel_stops_between_stages(service):
    ctx = CallContext()
    kinds = []
    with pytest.raises(Cancelled):
        async for event in service.CreateAvatar(avatar_pb2.CreateAvatarRequest(description="knight", seed=1), ctx):
            kinds.append(event.progress.stage if event.HasField("progress") else event.WhichOneof("event"))
            if event.HasField("progress"):
                ctx.cancel()
    # The worker may finish the stage it is in while the cancel travels, then stops.
    assert "result" not in kinds and "lod0" not in kinds and "sidecars" not in kinds


async def test_options_list_what_a_client_can_offer(service):
    options = await service.GetAvatarOptions(avatar_pb2.GetAvatarOptionsRequest(), CallContext())
    assert "ponytail" in options.hair_styles and "cloak" in options.outfit_kinds and "glasses" in options.accessories
    assert {"robe", "dress", "gown", "plate_armour", "leather_armour", "apron"} <= set(options.outfit_kinds)
    assert list(options.body_plans) == ["human", "dwarf", "elf"]
    assert "goatee" in options.beard_styles and "handlebar" in options.moustache_styles
    assert options.min_height_m < 1.0 < 2.0 < options.max_height_m
    assert options.max_texture_size == 1024
