"""SceneService on a real FunctionEngine: the stream's shape, refusals before queueing, cancel, deadline."""

from __future__ import annotations

import asyncio

import pytest

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.config import ScenesConfig
from worldsmith.errors import Cancelled, DeadlineExceeded, InvalidArgument
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.scenes import generate
from worldsmith.scenes.service import SceneService


@pytest.fixture
async def service():
    engine = FunctionEngine()
    await engine.start()
    yield SceneService(ScenesConfig(), engine)
    await engine.stop()


def room(seed=1, objects=0, bounds=(8, 3, 6), **fields) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, prompt="a tavern", seed=seed,
                                          bounds=common_pb2.Vec3(x=bounds[0], y=bounds[1], z=bounds[2]),
                                          interior=scene_pb2.InteriorParameters(object_count=objects), **fields)


async def test_stream_is_queued_then_progress_then_one_result(service):
    events = [e async for e in service.GenerateScene(room(), CallContext(lane=Lane.INTERACTIVE))]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "queued" and kinds[-1] == "result" and kinds.count("result") == 1
    stages = [e.progress.stage for e in events if e.HasField("progress")]
    assert {"shell", "layout", "quality", "preview"} <= set(stages)
    assert all(e.progress.step <= e.progress.total for e in events if e.HasField("progress"))
    # The server and the in-process entry point give the same bytes.
    assert events[-1].result.SerializeToString(deterministic=True) == generate(room()).SerializeToString(deterministic=True)


async def test_bad_input_is_refused_before_anything_is_queued(service):
    stream = service.GenerateScene(room(bounds=(8, 0, 6)), CallContext())
    with pytest.raises(InvalidArgument) as caught:
        await stream.__anext__()
    assert caught.value.violations[0][0] == "bounds"
    assert service.engine.queued() == 0


async def test_cancel_stops_the_solver(service):
    ctx = CallContext(lane=Lane.BATCH)
    after_cancel = []
    with pytest.raises(Cancelled):
        async for event in service.GenerateScene(room(objects=100, bounds=(20, 3.5, 16)), ctx):
            if ctx.is_cancelled:
                after_cancel.append(event)
            elif event.progress.stage == "layout":
                ctx.cancel()
    stages = {e.progress.stage for e in after_cancel}
    assert stages <= {"layout"}, "nothing after the layout ran once cancelled"
    assert not any(e.HasField("result") for e in after_cancel)


async def test_deadline_passes_while_generating(service):
    ctx = CallContext.with_timeout(0.05)
    with pytest.raises(DeadlineExceeded):
        async for _ in service.GenerateScene(room(objects=100, bounds=(20, 3.5, 16)), ctx):
            await asyncio.sleep(0)
