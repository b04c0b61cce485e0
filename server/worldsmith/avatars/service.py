"""AvatarService: CreateAvatar reads the description in the call, then builds on the shared CPU engine
(with a texture model between design and build when one is loaded)."""

from __future__ import annotations

from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import catalogue, dna, pipeline, texture_model
from worldsmith.avatars.parser_llm import LlmParser
from worldsmith.config import AvatarsConfig
from worldsmith.errors import Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.diffusion import DiffusionEngine
from worldsmith.runtime.engine import FunctionEngine, Job
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.registry import ModelProvider


class AvatarService:
    """Rigged humanoid avatars. Bad requests are refused before anything is queued; the build runs
    in the caller's lane on the CPU engine, streaming a Progress per stage, then the result.

    With `parser_provider` (the model avatars.parser_model names) the model reads descriptions
    under the parameter schema's grammar; without it the rule-based parser does. With
    `texture_provider` (the texture service's model, lent) the hair and garment tiles of the atlas
    get diffusion detail while that model is ready."""

    def __init__(self, settings: AvatarsConfig, engine: FunctionEngine,
                 parser_provider: ModelProvider[TextEngine] | None = None,
                 texture_provider: ModelProvider[DiffusionEngine] | None = None):
        self.settings = settings
        self.engine = engine
        self.parser_provider = parser_provider
        self.texture_provider = texture_provider

    def _texture_engine(self) -> DiffusionEngine | None:
        """The lent texture model, or None: while it is not ready avatars keep their procedural paint."""
        if self.texture_provider is None:
            return None
        try:
            return self.texture_provider()
        except Unavailable:
            return None

    async def CreateAvatar(self, request: avatar_pb2.CreateAvatarRequest, ctx: CallContext) -> AsyncIterator[avatar_pb2.CreateAvatarResponse]:
        dna.validate(request, self.settings.max_texture_size)  # bad input fails before anything queues
        textures = self._texture_engine()
        described, reader, model = None, "rules", ("", "")
        if self.parser_provider is not None and request.description.strip():
            parser = LlmParser(self.parser_provider())  # Unavailable while the model is not ready
            yield _progress("describe", 0, 1)
            described, reader = await parser.parse(request.description, request.seed or request.dna.seed, ctx)
            model = parser.model
            yield _progress("describe", 1, 1)
        names = pipeline.stage_names(request, texture_model=textures is not None)

        def stages(job: Job) -> pipeline.Stages:
            def stop_here() -> bool:
                job.ctx.check()  # raises the caller's own reason: cancelled, or past its deadline
                return False

            return pipeline.Stages(names, lambda stage, step, total: job.emit(_progress(stage, step, total).progress), stop_here)

        def design(job: Job) -> pipeline.Design:
            return pipeline.design(request, stages(job), described=described, reader=reader, reader_model=model)

        if textures is None:
            async for event in self._run(lambda job: pipeline.build(design(job), stages(job)), ctx):
                yield event
            return

        # With a texture model: design on the CPU, repaint tiles on the model, build on the CPU.
        plan = None
        async for event in self._run(design, ctx):
            if isinstance(event, pipeline.Design):
                plan = event
            else:
                yield event
        used = await texture_model.refine(plan, textures, ctx)
        yield _progress("texture-model", names.index("texture-model") + 1, len(names))
        painter = (textures.model_id, textures.revision) if used else ("", "")
        async for event in self._run(lambda job: pipeline.build(plan, stages(job), painter), ctx):
            yield event

    async def _run(self, work, ctx: CallContext):
        """Run `work(job)` on the CPU engine: its Queued and Progress events as responses, a
        result as the result response, anything else (a Design) as it is."""
        async for event in self.engine.submit(work, ctx).events():
            if isinstance(event, common_pb2.Queued):
                yield avatar_pb2.CreateAvatarResponse(queued=event)
            elif isinstance(event, common_pb2.Progress):
                yield avatar_pb2.CreateAvatarResponse(progress=event)
            elif isinstance(event, avatar_pb2.AvatarResult):
                yield avatar_pb2.CreateAvatarResponse(result=event)
            else:
                yield event

    async def GetAvatarOptions(self, request: avatar_pb2.GetAvatarOptionsRequest, ctx: CallContext) -> avatar_pb2.GetAvatarOptionsResponse:
        lo, hi = catalogue.RANGES["height_m"]
        return avatar_pb2.GetAvatarOptionsResponse(
            hair_styles=catalogue.HAIR_STYLES,
            outfit_kinds=catalogue.OUTFIT_KINDS,
            accessories=catalogue.ACCESSORIES,
            body_plans=catalogue.BODY_PLANS,
            beard_styles=catalogue.BEARD_STYLES,
            moustache_styles=catalogue.MOUSTACHE_STYLES,
            min_height_m=lo,
            max_height_m=hi,
            max_texture_size=self.settings.max_texture_size,
        )


def _progress(stage: str, step: int, total: int) -> avatar_pb2.CreateAvatarResponse:
    return avatar_pb2.CreateAvatarResponse(progress=common_pb2.Progress(stage=stage, step=step, total=total))
