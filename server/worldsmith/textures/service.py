"""TextureService: tileable PBR material sets from text, streamed with previews, cached, batched."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, AsyncIterator, Mapping

import numpy as np
from google.protobuf import struct_pb2

from worldsmith._proto.worldsmith.v1 import common_pb2, texture_pb2
from worldsmith.config import TexturesConfig
from worldsmith.errors import InvalidArgument, Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.diffusion import DiffusionEngine, DiffusionOutput, DiffusionRequest
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.registry import ModelProvider
from worldsmith.textures import pipeline, procedural
from worldsmith.textures.cache import TextureCache
from worldsmith.textures.pbr import Surface
from worldsmith.textures.presets import PRESETS
from worldsmith.textures.recipe import variation_recipe
from worldsmith.textures.request import PROCEDURAL, TexturePlan, plan

# Bump when a change to the diffusion path (decoding, map derivation) changes output bytes.
DIFFUSION_VERSION = "1"


class TextureService:
    """GenerateTexture and ListTextureBackends.

    `model_providers` holds a provider for each diffusion model textures.models names, by name.
    Procedural materials, map derivation and PNG encoding run on the shared CPU engine. An
    unset tiling means both axes: this service exists to make tileable materials.
    """

    def __init__(self, settings: TexturesConfig, model_providers: Mapping[str, ModelProvider[DiffusionEngine]],
                 cpu_engine: FunctionEngine, cache: TextureCache):
        self.settings = settings
        self._model_providers = model_providers
        self.cpu_engine = cpu_engine
        self.cache = cache

    # -- RPCs --------------------------------------------------------------------------
    async def ListTextureBackends(self, request: texture_pb2.ListTextureBackendsRequest,
                                  ctx: CallContext) -> texture_pb2.ListTextureBackendsResponse:
        ready = self._ready_models()
        presets = []
        for preset in PRESETS.values():
            defaults = struct_pb2.Struct()
            defaults.update({name: list(value) if isinstance(value, tuple) else value
                             for name, value in preset.defaults().items()})
            presets.append(texture_pb2.ProceduralPreset(name=preset.name, keywords=preset.keywords,
                                                        default_parameters=defaults))
        return texture_pb2.ListTextureBackendsResponse(models=ready, presets=presets,
                                                       default_model=ready[0] if ready else PROCEDURAL)

    async def GenerateTexture(self, request: texture_pb2.GenerateTextureRequest,
                              ctx: CallContext) -> AsyncIterator[texture_pb2.GenerateTextureResponse]:
        # 1. Resolve the backend and check every field before anything is queued.
        name, engine = self._backend(request)
        if engine is None:
            texture = plan(request, self.settings, PROCEDURAL)
            identity = ("", "", procedural.VERSION)
        else:
            texture = plan(request, self.settings, name, engine.default_steps, engine.default_guidance)
            identity = (engine.model_id, engine.revision, DIFFUSION_VERSION)
        recipes = [variation_recipe(texture, index, *identity) for index in range(texture.variations)]

        # 2. Every variation was made before: answer from the cache.
        hashes = [recipe.content_hash for recipe in recipes]
        cached = await asyncio.to_thread(self.cache.get, hashes)
        if cached is not None:
            yield texture_pb2.GenerateTextureResponse(result=cached)
            return

        # 3. Generate: diffusion images then maps, or a procedural job that does both.
        started = time.monotonic()
        if engine is None:
            result = None
            async for event in self._events(self.cpu_engine.submit(pipeline.procedural_job(texture, recipes), ctx)):
                if isinstance(event, texture_pb2.TextureResult):
                    result = event
                else:
                    yield _response(event)
        else:
            images: list[np.ndarray] = []
            async for event in self._events(engine.submit(_diffusion_request(texture), ctx)):
                if isinstance(event, DiffusionOutput):
                    images = event.images
                else:
                    yield _response(event)
            surfaces = [_surface(texture, image) for image in images]
            result = None
            async for event in self._events(self.cpu_engine.submit(pipeline.maps_job(texture, surfaces, recipes), ctx)):
                if isinstance(event, texture_pb2.TextureResult):
                    result = event
                elif isinstance(event, common_pb2.Progress):
                    yield _response(event)  # its Queued is not sent: the caller has already seen work start
        result.generation_seconds = time.monotonic() - started

        # 4. Keep it for the next identical request, then answer.
        await asyncio.to_thread(self.cache.put, result)
        yield texture_pb2.GenerateTextureResponse(result=result)

    # -- helpers -----------------------------------------------------------------------
    def _engine(self, name: str) -> DiffusionEngine:
        if name not in self._model_providers:
            raise Unavailable(f"diffusion model {name!r} is not loaded")
        return self._model_providers[name]()

    def _ready_models(self) -> list[str]:
        ready = []
        for name in self.settings.models:
            with contextlib.suppress(Unavailable):
                self._engine(name)
                ready.append(name)
        return ready

    def _backend(self, request: texture_pb2.GenerateTextureRequest) -> tuple[str, DiffusionEngine | None]:
        """The model name and its engine; (procedural, None) for the procedural backend.

        An empty model means the first configured diffusion model that is ready, else
        procedural; naming a preset or preset parameters means procedural.
        """
        if request.model == PROCEDURAL:
            return PROCEDURAL, None
        if request.model:
            if request.model not in self.settings.models:
                offered = ", ".join([PROCEDURAL, *self.settings.models])
                raise InvalidArgument("model", f"unknown model {request.model!r}; this server offers {offered}")
            return request.model, self._engine(request.model)
        if request.preset or request.HasField("preset_parameters"):
            return PROCEDURAL, None
        ready = self._ready_models()
        return (ready[0], self._engine(ready[0])) if ready else (PROCEDURAL, None)

    @staticmethod
    async def _events(job) -> AsyncIterator[Any]:
        # aclosing: leaving early (the caller went away) closes the job's stream at once,
        # which cancels the job instead of leaving it to the garbage collector.
        async with contextlib.aclosing(job.events()) as events:
            async for event in events:
                yield event


def _response(event) -> texture_pb2.GenerateTextureResponse:
    if isinstance(event, common_pb2.Queued):
        return texture_pb2.GenerateTextureResponse(queued=event)
    return texture_pb2.GenerateTextureResponse(progress=event)


def _diffusion_request(texture: TexturePlan) -> DiffusionRequest:
    return DiffusionRequest(
        prompt=texture.prompt, negative_prompt=texture.negative_prompt, width=texture.width, height=texture.height,
        steps=texture.steps, guidance_scale=texture.guidance_scale,
        seeds=tuple(texture.seed_of(index) for index in range(texture.variations)),
        tile_x=texture.tile_x, tile_y=texture.tile_y, init_image=texture.init_image,
        strength=texture.strength if texture.init_image is not None else 1.0, preview_every=texture.preview_every,
    )


def _surface(texture: TexturePlan, image: np.ndarray) -> Surface:
    """A decoded (H, W, 3) image as a surface: no height field, the material's roughness and metal."""
    return Surface(
        albedo=np.ascontiguousarray(np.moveaxis(image, -1, 0), dtype=np.float32),
        roughness=texture.parameters["roughness"], metallic=texture.parameters["metallic"],
        bump=texture.parameters["bump"],
    )
