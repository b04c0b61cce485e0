"""The Ray Serve side of runtime.executor = "ray": each configured model as a deployment whose replicas each hold one
resident engine, and `build`, the application with one deployment per model.

A replica runs the same engine as a local front (lanes, batching, metrics); a call streams that engine's events
back (protobuf ones as WireMessage: Queued, Progress with its preview; then text chunks, images, audio) and ends with
a `Failure` instead of raising, so the front rebuilds the very error the engine raised. When the caller goes away,
Ray Serve cancels the call's asyncio task here; the engine's job is then cancelled and stops within a token or a
denoising step, and what still ran is observed in the replica's after-cancel metrics.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message
from ray import serve

from worldsmith.config import ModelConfig
from worldsmith.errors import WorldsmithError
from worldsmith.runtime import metrics
from worldsmith.runtime.context import Caller, CallContext, Lane
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.ray_routing import ConversationAffinityRouter
from worldsmith.runtime.registry import load_engine

log = logging.getLogger(__name__)

# What the front's stand-in engine reports of each kind of model, read from the replica's engine.
FACTS = {
    "text-generator": ("model_id", "revision", "context_tokens", "has_chat_template", "special_tokens"),
    "diffusion": ("model_id", "revision", "default_steps", "default_guidance"),
    "embedder": ("model_id", "revision", "dimension"),
    "speech": ("model_id", "revision", "voices", "sample_rate"),
}


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
class WireMessage:
    """A protobuf event crossing the wire (generated messages pickle under a module path that does not import)."""

    type_name: str
    data: bytes

    @classmethod
    def of(cls, message: Message) -> "WireMessage":
        return cls(message.DESCRIPTOR.full_name, message.SerializeToString())

    def message(self) -> Message:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(self.type_name)
        return message_factory.GetMessageClass(descriptor).FromString(self.data)


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
    """What a replica served: its calls (and those still open), how many of each affinity key (a conversation)
    came to it, and its after-cancel metrics as (stopped jobs, work they did after the stop) by metric name."""

    replica: str
    calls: int = 0
    open_calls: int = 0
    affinities: dict[str, int] = field(default_factory=dict)
    after_cancel: dict[str, tuple[float, float]] = field(default_factory=dict)


AFTER_CANCEL_METRICS = (metrics.TOKENS_AFTER_CANCEL, metrics.DIFFUSION_STEPS_AFTER_CANCEL)


class ModelReplica:
    """One replica: loads the model (the same loader as a local front, warmed), and serves `submit`."""

    def __init__(self, model_name: str, config: dict, limits: dict, options: dict):
        model = ModelConfig(**config)
        self.kind = model.kind
        self.engine, self.device, self.dtype = load_engine(model, LaneLimits(**limits), options)
        self.engine.name = model_name
        self.replica = serve.get_replica_context().replica_id.unique_id
        self.calls = 0
        self.open_calls = 0
        self.affinities: dict[str, int] = {}
        self._started = asyncio.Lock()

    async def _ensure_started(self) -> None:
        async with self._started:
            await self.engine.start()  # a no-op once started

    async def submit(self, payload: Any, facts: CallFacts) -> AsyncIterator[Any]:
        """The engine's events for one request, in batches of what is ready (one event when the caller keeps up);
        a `Failure` last when the engine refused or failed it."""
        await self._ensure_started()
        self.calls += 1
        affinity = serve.get_multiplexed_model_id()
        if affinity:
            self.affinities[affinity] = self.affinities.get(affinity, 0) + 1
        ctx = facts.context()
        try:
            job = self.engine.submit(payload, ctx)
        except WorldsmithError as error:
            yield [Failure.of(error)]
            return
        events: asyncio.Queue = asyncio.Queue()
        pump = asyncio.create_task(_pump(job, events))
        self.open_calls += 1
        try:
            while True:
                ready = [await events.get()]
                while not events.empty():
                    ready.append(events.get_nowait())
                done = ready[-1] is None
                if done:
                    ready.pop()
                if ready:
                    yield ready
                if done:
                    return
        finally:
            self.open_calls -= 1
            if not pump.done():  # the caller left (Ray Serve cancelled this task): the job stops at its next
                ctx.cancel()     # token or step, and the engine counts what still ran

    async def describe(self) -> dict:
        """What the front's stand-in engine reports of the model, and which replica answered."""
        facts = {name: getattr(self.engine, name) for name in FACTS[self.kind]}
        if "special_tokens" in facts:
            facts["special_tokens"] = list(facts["special_tokens"])
        return {**facts, "replica": self.replica, "device": self.device, "dtype": self.dtype,
                "memory_bytes": self.engine.memory_bytes(), "gguf": getattr(self.engine, "facts", None)}

    async def replica_record(self) -> ReplicaRecord:
        return ReplicaRecord(self.replica, self.calls, self.open_calls, dict(self.affinities),
                             _after_cancel())


async def _pump(job, events: asyncio.Queue) -> None:
    """Move the job's events to `events` (None last); protobuf messages as WireMessage, an error as a Failure."""
    try:
        async for event in job.events():
            events.put_nowait(WireMessage.of(event) if isinstance(event, Message) else event)
    except WorldsmithError as error:
        events.put_nowait(Failure.of(error))
    except Exception as error:  # a model fault: the front reports it as the engine's failure
        log.exception("model replica failed a request")
        events.put_nowait(Failure.of(WorldsmithError(f"{type(error).__name__}: {error}")))
    finally:
        events.put_nowait(None)


def _after_cancel() -> dict[str, tuple[float, float]]:
    """(count, sum) of each after-cancel histogram in this process, over all its labels, by metric name."""
    found = {}
    for histogram in AFTER_CANCEL_METRICS:
        for family in histogram.collect():
            samples = family.samples
            found[family.name] = (sum(s.value for s in samples if s.name.endswith("_count")),
                                  sum(s.value for s in samples if s.name.endswith("_sum")))
    return found


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
                                         "target_ongoing_requests": config.target_ongoing_requests}
    else:
        options["num_replicas"] = config.replicas
    return options


def build(models: dict[str, ModelConfig], limits: dict, options: dict[str, dict]) -> serve.Application:
    """The application: one deployment per model, named after it; `options` are each loader's extra arguments."""
    if not models:
        raise ValueError("runtime.executor = \"ray\" needs at least one model in [models]")
    deployments = [
        serve.deployment(ModelReplica, name=name, **deployment_options(config)).bind(
            name, config.model_dump(mode="json"), limits, options.get(name, {}))
        for name, config in models.items()
    ]
    return _Index.bind(*deployments)


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0})
class _Index:
    """The application's ingress: holds the model deployments so one `serve.run` starts them all."""

    def __init__(self, *deployments):
        self.count = len(deployments)

    async def __call__(self) -> int:
        return self.count
