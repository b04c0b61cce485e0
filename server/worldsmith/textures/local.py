"""Textures without a server: the same service over a registry and engines started in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import Settings
from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.engine import FunctionEngine, LaneLimits
from worldsmith.runtime.registry import ModelRegistry
from worldsmith.textures.cache import TextureCache
from worldsmith.textures.request import PROCEDURAL
from worldsmith.textures.service import TextureService

Event = texture_pb2.GenerateTextureResponse


class LocalTextures:
    """`async with LocalTextures(settings, ["sd-turbo"]) as textures: await textures.generate(request)`.

    Loads only the diffusion models named (none: procedural only) through the model registry,
    starts a CPU engine, and answers through TextureService, so results, recipes and the
    cache are the server's.
    """

    def __init__(self, settings: Settings, models: list[str] = (), data_dir: Path | None = None):
        unknown = [name for name in models if name not in settings.models]
        if unknown:
            raise InvalidArgument("model", f"unknown model {unknown[0]!r}; the config has {', '.join(settings.models) or 'none'}")
        self.settings = settings
        limits = LaneLimits(**settings.lanes.model_dump())
        options = {name: diffusion_options(settings) for name in models}
        self.registry = ModelRegistry({name: settings.models[name] for name in models}, limits, options)
        self.cpu = FunctionEngine("cpu", limits=limits)
        textures = settings.textures.model_copy(update={"models": list(models)})
        self.service = TextureService(textures, self.registry.get, self.cpu, TextureCache(data_dir or settings.server.data_dir))

    async def __aenter__(self) -> "LocalTextures":
        await self.cpu.start()
        await self.registry.load_all()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.registry.close()
        await self.cpu.stop()

    async def generate(self, request: texture_pb2.GenerateTextureRequest, on_event: Callable[[Event], None] | None = None,
                       ctx: CallContext | None = None) -> texture_pb2.TextureResult:
        """Run one request to its result, passing every streamed event to `on_event`."""
        ctx = ctx or CallContext(lane=Lane.BATCH)
        result = None
        async for event in self.service.GenerateTexture(request, ctx):
            if on_event is not None:
                on_event(event)
            if event.HasField("result"):
                result = event.result
        return result


def diffusion_options(settings: Settings) -> dict:
    """What the diffusion loader takes beyond the model config: how many requests share a call."""
    return {"max_batch_size": settings.textures.max_batch_size}


def models_for(settings: Settings, model: str) -> list[str]:
    """The diffusion models a request for `model` needs loaded ("" means the default)."""
    if model == PROCEDURAL:
        return []
    if model:
        return [model]
    return settings.textures.models[:1]
