"""Textures without a server: the same service over engines started in this process (CLI, builds)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import Settings
from worldsmith.errors import InvalidArgument
from worldsmith.runtime import diffusion
from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.engine import FunctionEngine, LaneLimits
from worldsmith.textures.cache import TextureCache
from worldsmith.textures.request import PROCEDURAL
from worldsmith.textures.service import TextureService

Event = texture_pb2.GenerateTextureResponse


class LocalTextures:
    """`async with LocalTextures(settings, ["sd-turbo"]) as textures: await textures.generate(request)`.

    Loads only the diffusion models named (none: procedural only), starts a CPU engine, and
    answers through TextureService, so results, recipes and the cache are those of the server.
    """

    def __init__(self, settings: Settings, models: list[str] = (), data_dir: Path | None = None):
        unknown = [name for name in models if name not in settings.models]
        if unknown:
            raise InvalidArgument("model", f"unknown model {unknown[0]!r}; the config has {', '.join(settings.models) or 'none'}")
        self.settings = settings
        self.model_names = list(models)
        self.data_dir = Path(data_dir) if data_dir is not None else settings.server.data_dir
        self.engines: dict[str, diffusion.DiffusionEngine] = {}
        self.cpu = FunctionEngine(limits=self._limits())
        self.service: TextureService | None = None

    async def __aenter__(self) -> "LocalTextures":
        await self.cpu.start()
        for name in self.model_names:
            config = self.settings.models[name]
            device = _device(config.device)
            engine = diffusion.load(config.source, config.revision, device, _dtype(config.dtype, device), self._limits(),
                                    max_batch_size=self.settings.textures.max_batch_size)
            if config.warmup:
                engine.warmup()
            await engine.start()
            self.engines[name] = engine
        textures = self.settings.textures.model_copy(update={"models": self.model_names})
        self.service = TextureService(textures, self.engines, self.cpu, TextureCache(self.data_dir))
        return self

    async def __aexit__(self, *exc) -> None:
        for engine in self.engines.values():
            await engine.stop()
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

    def _limits(self) -> LaneLimits:
        lanes = self.settings.lanes
        return LaneLimits(realtime=lanes.realtime, interactive=lanes.interactive, batch=lanes.batch)


def models_for(settings: Settings, model: str) -> list[str]:
    """The diffusion models a request for `model` needs loaded ("" means the default)."""
    if model == PROCEDURAL:
        return []
    if model:
        return [model]
    return settings.textures.models[:1]


def _device(wanted: str) -> str:
    if wanted != "auto":
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _dtype(wanted: str, device: str) -> torch.dtype:
    if wanted != "auto":
        return getattr(torch, wanted)
    return torch.float16 if device in ("cuda", "mps") else torch.float32
