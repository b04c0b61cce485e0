"""AdminService: server info, models loaded or unloaded at run time, and the work queued on the engines."""

from __future__ import annotations

import time
from typing import Callable

from worldsmith import __version__
from worldsmith._proto.worldsmith.v1 import admin_pb2, common_pb2
from worldsmith.domain import Domain, Scope, ServiceStatus
from worldsmith.errors import InvalidArgument, NotFound, PermissionDenied
from worldsmith.runtime import devices, process
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import Engine, Job
from worldsmith.runtime.registry import ModelRegistry


class AdminService:
    def __init__(self, registry: ModelRegistry, statuses: Callable[[], dict[str, ServiceStatus]], auth_enabled: bool,
                 cpu_engine: Engine):
        self._registry = registry
        self._cpu_engine = cpu_engine
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


    async def ListJobs(self, request: admin_pb2.ListJobsRequest, ctx: CallContext) -> admin_pb2.ListJobsResponse:
        return admin_pb2.ListJobsResponse(jobs=[info for _, _, info in self._jobs()])

    async def CancelJob(self, request: admin_pb2.CancelJobRequest, ctx: CallContext) -> admin_pb2.CancelJobResponse:
        if not request.request_id:
            raise InvalidArgument("request_id", "is required: a job's request_id from ListJobs")
        jobs = [(engine, job, info) for engine, job, info in self._jobs() if info.request_id == request.request_id]
        if not jobs:
            raise NotFound(f"no job of request {request.request_id!r} is queued or running (it may have finished)")
        caller = ctx.caller
        if Scope.ADMIN not in caller.scopes and any(info.key_name != caller.key_id for _, _, info in jobs):
            raise PermissionDenied(f"request {request.request_id!r} is another key's; an admin key may cancel it")
        for engine, job, _ in jobs:
            engine.cancel(job)
        return admin_pb2.CancelJobResponse(jobs=[info for _, _, info in jobs])

    def _jobs(self) -> list[tuple[Engine, Job, admin_pb2.JobInfo]]:
        """Every engine's running jobs, then its queued ones by lane and position."""
        now = time.monotonic()
        engines = {"cpu": self._cpu_engine, **self._registry.resident()}
        found = []
        for name, engine in engines.items():
            if not isinstance(engine, Engine):
                continue  # a model served elsewhere (a Ray replica) queues its work there
            for job in engine.running_jobs():
                found.append((engine, job, _info(job, name, admin_pb2.JOB_STATE_RUNNING, 0, now)))
            for jobs in engine.queued_jobs().values():
                found += [(engine, job, _info(job, name, admin_pb2.JOB_STATE_QUEUED, position, now))
                          for position, job in enumerate(jobs)]
        return sorted(found, key=lambda found: (found[2].state != admin_pb2.JOB_STATE_RUNNING, found[2].lane, found[2].position))


def _info(job: Job, engine: str, state: int, position: int, now: float) -> admin_pb2.JobInfo:
    started = job.started_at if state == admin_pb2.JOB_STATE_RUNNING else None
    progress = common_pb2.Progress(stage=job.progress.stage, step=job.progress.step, total=job.progress.total) if job.progress else None
    return admin_pb2.JobInfo(
        request_id=job.ctx.request_id, method=job.ctx.method, engine=engine, lane=int(job.ctx.lane), state=state,
        position=position, waited_seconds=(started or now) - job.enqueued_at,
        running_seconds=now - started if started else 0.0, progress=progress, key_name=job.ctx.caller.key_id,
    )


def _require_name(name: str) -> None:
    if not name:
        raise InvalidArgument("name", "is required: the name of a model in the config's [models] table")


DOMAIN = Domain(
    service=admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    build=lambda parts: AdminService(parts.registry, parts.statuses, parts.settings.auth.enabled, parts.cpu_engine),
    default_scope=Scope.ADMIN,
    # Editor tools and builds read which models serve them (builds hash the revisions) and watch and cancel the work
    # queued on the server (their own calls; an admin key any); changing models needs admin.
    scopes={"GetServerInfo": Scope.EDITOR, "ListJobs": Scope.EDITOR, "CancelJob": Scope.EDITOR},
)
