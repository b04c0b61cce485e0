"""The Ray Serve side of runtime.executor = "ray": a text generator as a deployment whose replicas each hold one
resident engine, and `app`, the application with one deployment per configured text generator.

A replica runs the same engine as a local front (lanes, batching, metrics); a call streams that engine's events
back (Queued as QueuedAt, TextChunk, GenerationResult) and ends with a `Failure` instead of raising, so the front rebuilds
the very error the engine raised. When the caller goes away, Ray Serve cancels the call's asyncio task here; the
engine's job is then cancelled and stops within a token, and the tokens that still came are counted.
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from ray import serve

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.config import ModelConfig, load_settings
from worldsmith.errors import WorldsmithError
from worldsmith.runtime import devices
from worldsmith.runtime.context import Caller, CallContext, Lane
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.generation import GenerationRequest, GenerationResult
from worldsmith.runtime.ray_routing import ConversationAffinityRouter
from worldsmith.runtime.registry import LOADER_MODULES, engine_of

log = logging.getLogger(__name__)

@dataclass
class Failure:
    """An engine error crossing the wire: its class and attributes (gRPC code, field violations, retry delay)."""

    module: str
    name: str
    state: dict

    @classmethod
    def of(cls, error: WorldsmithError) -> "Failure":
        return cls(type(error).__module__, type(error).__qualname__, dict(vars(error)))

    def rebuild(self) -> WorldsmithError:
        error_type = getattr(importlib.import_module(self.module), self.name)
        error = error_type.__new__(error_type)
        error.__dict__.update(self.state)
        error.args = (self.state.get("message", ""),)
        return error


@dataclass
class QueuedAt:
    """A Queued event crossing the wire (protobuf messages do not pickle)."""

    position: int
    eta_seconds: float

    def message(self) -> common_pb2.Queued:
        return common_pb2.Queued(position=self.position, eta_seconds=self.eta_seconds)


@dataclass
class CallFacts:
    """What travels with a request besides its payload: lane, time left, caller and request id."""

    lane: int = Lane.INTERACTIVE
    time_left_s: float | None = None
    key_id: str = "anonymous"
    request_id: str = ""

    @classmethod
    def of(cls, ctx: CallContext) -> "CallFacts":
        return cls(int(ctx.lane), ctx.time_remaining(), ctx.caller.key_id, ctx.request_id)

    def context(self) -> CallContext:
        ctx = CallContext.with_timeout(self.time_left_s, lane=Lane(self.lane), caller=Caller(self.key_id))
        if self.request_id:
            ctx.request_id = self.request_id
        return ctx


@dataclass
class ReplicaRecord:
    """What a replica served: its cancelled calls, as (tokens generated after the cancel, tokens generated in all),
    and how many calls of each affinity key (a conversation) came to it."""

    replica: str
    cancelled: list[tuple[int, int]] = field(default_factory=list)
    affinities: collections.Counter = field(default_factory=collections.Counter)


class TextGeneratorReplica:
    """One replica: loads the model (the same loader as a local front), warms it, and serves `generate`."""

    def __init__(self, model_name: str, config: dict, limits: dict):
        model = ModelConfig(**config)
        device = devices.pick_device(model.device)
        dtype = devices.pick_dtype(device, model.dtype, model.kind)
        engine_name = engine_of(model)
        options = {"threads": model.threads} if engine_name == "llama.cpp" and model.threads else {}
        module = importlib.import_module(LOADER_MODULES[engine_name])
        self.engine = module.load(model.source, model.revision, device, dtype, LaneLimits(**limits), **options)
        self.engine.name = model_name
        if model.warmup:
            self.engine.warmup()
        self.record = ReplicaRecord(serve.get_replica_context().replica_id.unique_id)
        self._started = asyncio.Lock()

    async def _ensure_started(self) -> None:
        async with self._started:
            await self.engine.start()  # a no-op once started

    async def generate(self, request: GenerationRequest, facts: CallFacts) -> AsyncIterator[Any]:
        """The engine's events for one request; a `Failure` last when the engine refused or failed it."""
        await self._ensure_started()
        affinity = serve.get_multiplexed_model_id()
        if affinity:
            self.record.affinities[affinity] += 1
        ctx = facts.context()
        try:
            job = self.engine.submit(request, ctx)
        except WorldsmithError as error:
            yield Failure.of(error)
            return
        events: asyncio.Queue = asyncio.Queue()
        pump = asyncio.create_task(self._pump(job, ctx, events))
        try:
            while True:
                event = await events.get()
                if event is None:
                    return
                yield event
        finally:
            if not pump.done():  # the caller left (Ray Serve cancelled this task): the job stops at its next
                ctx.cancel()     # token, and the pump counts the tokens that still came

    async def _pump(self, job, ctx: CallContext, events: asyncio.Queue) -> None:
        """Move the job's events to `events` (None last), and count the tokens of a cancelled job."""
        try:
            async for event in job.events():
                if isinstance(event, GenerationResult) and event.finish_reason == "cancelled":
                    self.record.cancelled.append((event.tokens_after_cancel, event.completion_tokens))
                if isinstance(event, common_pb2.Queued):
                    event = QueuedAt(event.position, event.eta_seconds)
                events.put_nowait(event)
        except WorldsmithError as error:
            events.put_nowait(Failure.of(error))
        except Exception as error:  # a model fault: the front reports it as the engine's failure
            log.exception("text generator replica failed a request")
            events.put_nowait(Failure.of(WorldsmithError(f"{type(error).__name__}: {error}")))
        finally:
            events.put_nowait(None)

    async def describe(self) -> dict:
        """What the front's proxy engine reports of the model, and which replica answered."""
        engine = self.engine
        return {"replica": self.record.replica, "model_id": engine.model_id, "revision": engine.revision,
                "context_tokens": engine.context_tokens, "has_chat_template": engine.has_chat_template, "special_tokens": list(engine.special_tokens)}

    async def replica_record(self) -> ReplicaRecord:
        return self.record


def deployment_options(config: ModelConfig) -> dict:
    """A model's replica count or autoscaling bounds, per-replica resources and queue bounds, for Ray Serve."""
    options: dict[str, Any] = {
        "ray_actor_options": {"num_cpus": config.replica_cpus, "num_gpus": config.replica_gpus},
        "max_ongoing_requests": config.max_ongoing_requests,
        "max_queued_requests": config.max_queued_requests,
        "health_check_period_s": 2.0,
        "health_check_timeout_s": 30.0,
        "graceful_shutdown_timeout_s": 5.0,
        "request_router_config": {"request_router_class": ConversationAffinityRouter},
    }
    if config.max_replicas:
        options["autoscaling_config"] = {"min_replicas": config.min_replicas, "max_replicas": config.max_replicas,
                                         "target_ongoing_requests": max(1, config.max_ongoing_requests // 2)}
    else:
        options["num_replicas"] = config.replicas
    return options


def runs_remotely(config: ModelConfig) -> bool:
    """Whether runtime.executor = "ray" runs this model as a deployment (text generators; the others stay in
    the front for now)."""
    return config.kind == "text-generator"


def build(models: dict[str, ModelConfig], limits: dict) -> serve.Application:
    """The application: one deployment per text generator, named after the model."""
    deployments = [
        serve.deployment(TextGeneratorReplica, name=name, **deployment_options(config)).bind(
            name, config.model_dump(mode="json"), limits)
        for name, config in models.items() if runs_remotely(config)
    ]
    if not deployments:
        raise ValueError("runtime.executor = \"ray\" needs at least one text generator in [models]")
    return _Index.bind(*deployments)


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0})
class _Index:
    """The application's ingress: holds the model deployments so one `serve.run` starts them all."""

    def __init__(self, *deployments):
        self.count = len(deployments)

    async def __call__(self) -> int:
        return self.count


def app(args: dict) -> serve.Application:
    """The application a RayService (or `serve run worldsmith.runtime.ray_serve:app config=PATH`) builds."""
    settings = load_settings(args["config"])
    return build(settings.models, settings.lanes.model_dump())
