"""SceneService: GenerateScene checks and plans in the call, then generates on the shared CPU engine."""

from __future__ import annotations

from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.config import ScenesConfig
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine, Job
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.registry import ModelProvider
from worldsmith.scenes.pipeline import build, needs_plan, plan_for, prepare
from worldsmith.scenes.plan import Plan
from worldsmith.scenes.planner_keywords import KeywordPlanner
from worldsmith.scenes.planner_llm import LlmPlanner
from worldsmith.scenes.spec import SceneSpec, read_request

# Progress events per stage, at most: enough for a smooth bar, few enough for a slow link.
PROGRESS_EVENTS_PER_STAGE = 20


class SceneService:
    """Rooms, dungeons and terrain as scene graphs. Bad requests are refused before anything is
    queued; the generation itself runs in the caller's lane on the CPU engine.

    With `planner_provider` (the model scenes.planner_model names) the model writes the plan
    under the plan schema's grammar; without it the keyword planner does. The solver places the
    objects either way."""

    def __init__(self, settings: ScenesConfig, engine: FunctionEngine, planner_provider: ModelProvider[TextEngine] | None = None):
        self.settings = settings
        self.engine = engine
        self.keywords = KeywordPlanner()
        self.planner_provider = planner_provider

    def _llm_planner(self) -> LlmPlanner | None:
        if self.planner_provider is None:
            return None
        return LlmPlanner(self.planner_provider())  # Unavailable while the model is not ready

    async def GenerateScene(self, request: scene_pb2.GenerateSceneRequest, ctx: CallContext) -> AsyncIterator[scene_pb2.GenerateSceneResponse]:
        model = ("", "")
        llm = self._llm_planner()
        if llm is None:
            spec, plan = prepare(request, self.settings.max_objects, self.keywords)
        else:
            spec = read_request(request, self.settings.max_objects)
            plan = Plan((), llm.name)
            if needs_plan(spec):
                yield scene_pb2.GenerateSceneResponse(progress=common_pb2.Progress(stage="plan", step=0, total=1))
                # The model's numbers are suggestions: what the floor cannot hold is trimmed, not refused.
                plan, model = plan_for(spec, await llm.plan(spec, ctx), trim=True), llm.model
                yield scene_pb2.GenerateSceneResponse(progress=common_pb2.Progress(stage="plan", step=1, total=1))
        job = self.engine.submit(lambda job: self._generate(job, request, spec, plan, model), ctx)
        async for event in job.events():
            if isinstance(event, common_pb2.Queued):
                yield scene_pb2.GenerateSceneResponse(queued=event)
            elif isinstance(event, common_pb2.Progress):
                yield scene_pb2.GenerateSceneResponse(progress=event)
            else:
                yield scene_pb2.GenerateSceneResponse(result=event)

    @staticmethod
    def _generate(job: Job, request: scene_pb2.GenerateSceneRequest, spec: SceneSpec, plan: Plan,
                  model: tuple[str, str]) -> scene_pb2.SceneResult:
        def progress(stage: str, step: int, total: int) -> None:
            every = max(1, total // PROGRESS_EVENTS_PER_STAGE)
            if step == 0 or step == total or step % every == 0:
                job.emit(common_pb2.Progress(stage=stage, step=step, total=total))

        # ctx.check raises the caller's own reason: cancelled, or past its deadline.
        return build(request, spec, plan, progress, job.ctx.check, model)
