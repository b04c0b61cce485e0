"""The texture domain as the server offers it: TextureService, its diffusion models, access and lane."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import diffusion_options
from worldsmith.domain import Domain, ModelSlot, Parts
from worldsmith.store.object_store import content_store
from worldsmith.textures.cache import KIND, TextureCache
from worldsmith.textures.service import TextureService


def _build(parts: Parts) -> TextureService:
    settings = parts.settings
    store = content_store(settings.store, settings.server.data_dir, KIND)
    return TextureService(settings.textures, parts.models("textures.models"), parts.cpu_engine,
                          TextureCache(store, settings.textures.cache_max_bytes))


DOMAIN = Domain(
    service=texture_pb2.DESCRIPTOR.services_by_name["TextureService"],
    build=_build,
    models=(ModelSlot("textures.models", "diffusion", loader_options=diffusion_options),),
    backend=lambda settings: "diffusion" if settings.textures.models else "procedural",
)
