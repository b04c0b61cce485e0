"""A SceneService for transport tests: GenerateScene runs one short step per requested object
on the server's CPU engine, so a test controls how long a stream runs and counts the steps
that ran after a cancel. It is a real domain-style service (engine, lanes, CallContext)."""

from __future__ import annotations

import asyncio
import time

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.errors import InvalidArgument

MAX_STEPS = 1000


class SteppingSceneService:
    def __init__(self, engine, step_seconds: float = 0.02):
        self.engine = engine
        self.step_seconds = step_seconds
        self.steps_run = 0

    async def steps_after(self, settle: float = 0.4) -> int:
        """Steps run from now until the service has been quiet for `settle` seconds (after a cancel)."""
        await asyncio.sleep(0.1)
        before = self.steps_run
        await asyncio.sleep(settle)
        return self.steps_run - before

    async def GenerateScene(self, request: scene_pb2.GenerateSceneRequest, ctx):
        steps = request.interior.object_count or 3
        if steps > MAX_STEPS:
            raise InvalidArgument("interior.object_count", f"at most {MAX_STEPS} objects, got {steps}")

        def place_objects(job):
            for step in range(1, steps + 1):
                job.ctx.check()
                time.sleep(self.step_seconds)
                self.steps_run += 1
                job.emit(common_pb2.Progress(stage="layout", step=step, total=steps))
            nodes = [scene_pb2.SceneNode(id=f"n{i}", tag="crate") for i in range(steps)]
            return scene_pb2.SceneResult(graph=scene_pb2.SceneGraph(nodes=nodes), recipe=common_pb2.Recipe(seed=request.seed))

        job = self.engine.submit(place_objects, ctx)
        async for event in job.events():
            if isinstance(event, common_pb2.Queued):
                yield scene_pb2.GenerateSceneResponse(queued=event)
            elif isinstance(event, common_pb2.Progress):
                yield scene_pb2.GenerateSceneResponse(progress=event)
            else:
                yield scene_pb2.GenerateSceneResponse(result=event)
