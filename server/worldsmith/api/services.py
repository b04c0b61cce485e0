"""Assembles the runtime and the domain services from the settings, without any listener.

The gRPC server, the HTTP/1.1 listener and in-process builds all call the same objects.
"""

from __future__ import annotations

from worldsmith.api import health as service_health
from worldsmith.api.admin import AdminService
from worldsmith.avatars.service import AvatarService
from worldsmith.config import Settings
from worldsmith.dialogue.service import DialogueService
from worldsmith.runtime.engine import FunctionEngine, LaneLimits
from worldsmith.runtime.registry import ModelRegistry
from worldsmith.scenes.service import SceneService
from worldsmith.store import Store
from worldsmith.textures.cache import TextureCache
from worldsmith.config import diffusion_options
from worldsmith.textures.service import TextureService


def loader_options(settings: Settings) -> dict[str, dict]:
    """What each model's loader takes beyond its [models] table, from the sections that use it."""
    options: dict[str, dict] = {name: diffusion_options(settings) for name in settings.textures.models}
    dialogue = settings.dialogue
    if dialogue.model:
        # The KV cache is sized for max_batch_size turns of a full prompt plus a reply.
        options[dialogue.model] = {"max_batch_size": dialogue.max_batch_size,
                                   "context_tokens": dialogue.context_tokens + dialogue.max_new_tokens}
    return options


class Services:
    """The model registry, the shared CPU engine and one implementation object per service."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = LaneLimits(**settings.lanes.model_dump())
        self.registry = ModelRegistry(settings.models, self.limits, loader_options(settings))
        self.cpu_engine = FunctionEngine("cpu", concurrency=2, limits=self.limits)
        self.by_name: dict[str, object] = {}
        self.store: Store | None = None

    def _optional_model(self, name: str, key: str):
        """The model's provider, or None when the config names none (the service then uses its
        model-free path: keyword planner, rule parser, procedural paint)."""
        return self.registry.provider(name, key) if name else None

    def statuses(self) -> dict[str, service_health.ServiceStatus]:
        return service_health.service_statuses(self.settings, self.registry)

    async def start(self, load_models: bool = True) -> None:
        self.settings.server.data_dir.mkdir(parents=True, exist_ok=True)
        await self.cpu_engine.start()
        self.store = Store.open(self.settings.server.data_dir)
        dialogue = self.settings.dialogue
        self.by_name = {
            service_health.DIALOGUE: DialogueService(
                dialogue, self.store,
                self.registry.provider(dialogue.model, "dialogue.model"),
                self.registry.provider(dialogue.embedder, "dialogue.embedder"),
            ),
            service_health.TEXTURE: TextureService(self.settings.textures, self.registry.get, self.cpu_engine,
                                                   TextureCache(self.settings.server.data_dir)),
            service_health.SCENE: SceneService(self.settings.scenes, self.cpu_engine, planner_generator=self._optional_model(self.settings.scenes.planner_model, "scenes.planner_model")),
            service_health.AVATAR: AvatarService(self.settings.avatars, self.cpu_engine,
                                                 parser_generator=self._optional_model(self.settings.avatars.parser_model, "avatars.parser_model"),
                                                 texture_generator=self._optional_model(next(iter(self.settings.textures.models), ""), "textures.models")),
            service_health.ADMIN: AdminService(self.registry, self.statuses, self.settings.auth.enabled),
        }
        if load_models:
            await self.registry.load_all()

    async def stop(self) -> None:
        await self.cpu_engine.stop()
        await self.registry.close()
        if self.store is not None:
            self.store.close()
