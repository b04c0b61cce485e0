"""Assembles the runtime and the domain services from the settings, without any listener.

The gRPC server, the HTTP/1.1 listener and in-process builds all call the same objects.
"""

from __future__ import annotations

import logging

from worldsmith.api import health as service_health
from worldsmith.api.domains import DOMAINS
from worldsmith.config import Settings
from worldsmith.domain import Domain, Parts, ServiceStatus, Use
from worldsmith.runtime.engine import FunctionEngine, LaneLimits
from worldsmith.runtime.registry import ModelRegistry
from worldsmith.store import Store

log = logging.getLogger(__name__)


def loader_options(settings: Settings) -> dict[str, dict]:
    """What each model's loader takes beyond its [models] table, as the domains that use it declare."""
    options: dict[str, dict] = {}
    for domain in DOMAINS:
        for slot in domain.models:
            if slot.loader_options is not None:
                for name in slot.names(settings):
                    options.setdefault(name, {}).update(slot.loader_options(settings))
    return options


def _log_model_free_paths(domain: Domain, settings: Settings) -> None:
    for slot in domain.models:
        if slot.use is Use.OPTIONAL and not slot.names(settings):
            log.info("%s is not set: %s serves without that model (%s)", slot.key, domain.name, domain.backend(settings))


class Services:
    """The model registry, the shared CPU engine and one implementation object per service."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = LaneLimits(**settings.lanes.model_dump())
        self.registry = ModelRegistry(settings.models, self.limits, loader_options(settings),
                                      runtime=settings.runtime)
        self.cpu_engine = FunctionEngine("cpu", concurrency=2, limits=self.limits)
        self.by_name: dict[str, object] = {}
        self.store: Store | None = None

    def statuses(self) -> dict[str, ServiceStatus]:
        return service_health.service_statuses(self.settings, self.registry)

    async def start(self, load_models: bool = True) -> None:
        self.settings.server.data_dir.mkdir(parents=True, exist_ok=True)
        await self.cpu_engine.start()
        self.store = Store.open(self.settings.server.data_dir, self.settings.store.url)
        for domain in DOMAINS:
            _log_model_free_paths(domain, self.settings)
        self.by_name = {
            domain.name: domain.build(Parts(domain, self.settings, self.registry, self.store, self.cpu_engine, self.statuses))
            for domain in DOMAINS
        }
        if load_models:
            await self.registry.load_all()

    async def stop(self) -> None:
        await self.cpu_engine.stop()
        await self.registry.close()
        if self.store is not None:
            self.store.close()
