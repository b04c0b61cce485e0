"""AvatarService: CreateAvatar reads the description in the call, then builds on the shared CPU engine."""

from __future__ import annotations

from typing import AsyncIterator, Callable

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import catalogue, dna, pipeline
from worldsmith.avatars.parser_llm import LlmParser
from worldsmith.config import AvatarsConfig
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine, Job
from worldsmith.runtime.text_generator import TextGenerator


class AvatarService:
    """Rigged humanoid avatars. Bad requests are refused before anything is queued; the build runs
    in the caller's lane on the CPU engine, streaming a Progress per stage, then the result.

    With `parser_generator` (the TextGenerator named by avatars.parser_model, or a function that
    returns it, such as `lambda: registry.get(name)`, so a model loaded later is picked up) the
    model reads descriptions under the parameter schema's grammar; without it the rule-based
    parser does."""

    def __init__(self, settings: AvatarsConfig, engine: FunctionEngine,
                 parser_generator: TextGenerator | Callable[[], TextGenerator] | None = None):
        self.settings = settings
        self.engine = engine
        self.parser_generator = parser_generator

    def _llm_parser(self) -> LlmParser | None:
        if self.parser_generator is None:
            return None
        # A function is asked each call: it raises Unavailable while the model is not loaded.
        generator = self.parser_generator() if callable(self.parser_generator) else self.parser_generator
        return LlmParser(generator)

    async def CreateAvatar(self, request: avatar_pb2.CreateAvatarRequest, ctx: CallContext) -> AsyncIterator[avatar_pb2.CreateAvatarResponse]:
        dna.validate(request, self.settings.max_texture_size)  # bad input fails before anything queues
        described, reader, model = None, "rules", ("", "")
        llm = self._llm_parser() if request.description.strip() else None
        if llm is not None:
            yield avatar_pb2.CreateAvatarResponse(progress=common_pb2.Progress(stage="describe", step=0, total=1))
            seed = request.seed or request.dna.seed
            described, reader = await llm.parse(request.description, seed, ctx)
            model = llm.model
            yield avatar_pb2.CreateAvatarResponse(progress=common_pb2.Progress(stage="describe", step=1, total=1))

        def generate(job: Job) -> avatar_pb2.AvatarResult:
            def progress(stage: str, step: int, total: int) -> None:
                job.emit(common_pb2.Progress(stage=stage, step=step, total=total))

            def stop_here() -> bool:
                job.ctx.check()  # raises the caller's own reason: cancelled, or past its deadline
                return False

            return pipeline.create(request, described=described, reader=reader, reader_model=model, progress=progress,
                                   should_stop=stop_here, max_texture_size=self.settings.max_texture_size)

        job = self.engine.submit(generate, ctx)
        async for event in job.events():
            if isinstance(event, common_pb2.Queued):
                yield avatar_pb2.CreateAvatarResponse(queued=event)
            elif isinstance(event, common_pb2.Progress):
                yield avatar_pb2.CreateAvatarResponse(progress=event)
            else:
                yield avatar_pb2.CreateAvatarResponse(result=event)

    async def GetAvatarOptions(self, request: avatar_pb2.GetAvatarOptionsRequest, ctx: CallContext) -> avatar_pb2.GetAvatarOptionsResponse:
        lo, hi = catalogue.RANGES["height_m"]
        return avatar_pb2.GetAvatarOptionsResponse(
            hair_styles=catalogue.HAIR_STYLES,
            outfit_kinds=catalogue.OUTFIT_KINDS,
            accessories=catalogue.ACCESSORIES,
            min_height_m=lo,
            max_height_m=hi,
            max_texture_size=self.settings.max_texture_size,
        )
