"""AdminService: server info, model listing, and loading or unloading models at run time."""

from __future__ import annotations

import time
from typing import Callable

from worldsmith import __version__
from worldsmith._proto.worldsmith.v1 import admin_pb2
from worldsmith.domain import Domain, Scope, ServiceStatus
from worldsmith.errors import InvalidArgument
from worldsmith.runtime import devices, process
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.registry import ModelRegistry


class AdminService:
    def __init__(self, registry: ModelRegistry, statuses: Callable[[], dict[str, ServiceStatus]], auth_enabled: bool):
        self._registry = registry
        self._statuses = statuses
        self._auth_enabled = auth_enabled
        self._started = time.monotonic()
        self._device = devices.describe()

    async def GetServerInfo(self, request: admin_pb2.GetServerInfoRequest, ctx: CallContext) -> admin_pb2.GetServerInfoResponse:
        services = [
            admin_pb2.ServiceInfo(
                name=name, reason=status.reason, backend=status.backend,
                status=admin_pb2.SERVING_STATUS_SERVING if status.serving else admin_pb2.SERVING_STATUS_NOT_SERVING,
            )
            for name, status in self._statuses().items()
        ]
        return admin_pb2.GetServerInfoResponse(
            version=__version__, device=self._device, uptime_seconds=time.monotonic() - self._started,
            services=services, models=self._registry.info(), auth_enabled=self._auth_enabled,
            resident_memory_bytes=process.resident_bytes(),
        )

    async def ListModels(self, request: admin_pb2.ListModelsRequest, ctx: CallContext) -> admin_pb2.ListModelsResponse:
        return admin_pb2.ListModelsResponse(models=self._registry.info())

    async def LoadModel(self, request: admin_pb2.LoadModelRequest, ctx: CallContext) -> admin_pb2.LoadModelResponse:
        _require_name(request.name)
        return admin_pb2.LoadModelResponse(model=await self._registry.load(request.name))

    async def UnloadModel(self, request: admin_pb2.UnloadModelRequest, ctx: CallContext) -> admin_pb2.UnloadModelResponse:
        _require_name(request.name)
        return admin_pb2.UnloadModelResponse(model=await self._registry.unload(request.name))


def _require_name(name: str) -> None:
    if not name:
        raise InvalidArgument("name", "is required: the name of a model in the config's [models] table")


DOMAIN = Domain(
    service=admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    build=lambda parts: AdminService(parts.registry, parts.statuses, parts.settings.auth.enabled),
    default_scope=Scope.ADMIN,
    # Editor tools and builds read which models serve them (builds hash the revisions); changing models needs admin.
    scopes={"GetServerInfo": Scope.EDITOR},
)
