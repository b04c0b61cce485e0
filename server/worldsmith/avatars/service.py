"""AvatarService: the CreateAvatar stream and GetAvatarOptions, over the shared CPU engine."""

from __future__ import annotations

from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import catalogue, dna, pipeline
from worldsmith.config import AvatarsConfig
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine, Job


class AvatarService:
    """Avatars are procedural CPU work: each request becomes one `FunctionEngine` job that
    streams a Progress per stage, then the result."""

    def __init__(self, settings: AvatarsConfig, engine: FunctionEngine, parser_generator=None):
        self.settings = settings
        self.engine = engine
        # A text generator for reading descriptions; until one is wired the rule-based parser
        # reads them (see describe.py).
        self.parser_generator = parser_generator

    async def CreateAvatar(self, request: avatar_pb2.CreateAvatarRequest, ctx: CallContext) -> AsyncIterator[avatar_pb2.CreateAvatarResponse]:
        dna.validate(request, self.settings.max_texture_size)  # bad input fails before anything queues

        def generate(job: Job) -> avatar_pb2.AvatarResult:
            def progress(stage: str, step: int, total: int) -> None:
                job.emit(common_pb2.Progress(stage=stage, step=step, total=total))

            def stop_here() -> bool:
                job.ctx.check()  # raises Cancelled or DeadlineExceeded, whichever it is
                return False

            return pipeline.create(request, progress=progress, should_stop=stop_here, max_texture_size=self.settings.max_texture_size)

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
