"""Remote engines: each configured model served by a Ray Serve deployment, behind the same contract as its local
engine (submit() -> a job whose events() stream what the local job streams; embed, speak and the model's facts), so
domains cannot tell the two apart.

A text request is validated at the front (the vocabulary is local), then streamed from a replica through a handle.
A conversation's turns carry a key of their prompt's stable head (in the request's multiplexed model id field), by
which `runtime/ray_routing.py` sends them back to the replica whose cache already holds that prefix. Leaving the
iteration early, or cancelling the call's context, cancels the replica's work; a full deployment answers
RESOURCE_EXHAUSTED with a retry delay; a replica that dies fails its calls with UNAVAILABLE, and the next calls go
to the replicas left.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any, AsyncIterator

import ray.exceptions
from ray import serve
from ray.serve.exceptions import (BackPressureError, DeploymentUnavailableError, ReplicaUnavailableError,
                                  RequestCancelledError)

from worldsmith.config import ModelConfig
from worldsmith.errors import Cancelled, ResourceExhausted, Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.embedder import EmbedCalls
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, final_result, validate_request
from worldsmith.runtime.ray_serve import FACTS, CallFacts, Failure, WireMessage
from worldsmith.runtime.ray_vocabulary import vocabulary_of
from worldsmith.runtime.speech import SpeechCalls

BACKPRESSURE_RETRY_S = 1.0
AFFINITY_PREFIX_CHARS = 2048  # the part of a prompt that names its conversation (system prompt, character, lore)
_REPLICA_LOST = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ReplicaUnavailableError,
                 DeploymentUnavailableError)


def affinity_key(request: GenerationRequest) -> str:
    """The key of the prompt's stable prefix, where a conversation's character and setting live: the first chat
    message, or a raw prompt's opening paragraph (a script's system text, which a blank line ends). Turns with
    equal prefixes prefer the same replica."""
    head = request.messages[0].get("content", "") if request.messages else request.prompt.split("\n\n", 1)[0]
    return hashlib.blake2b(str(head)[:AFFINITY_PREFIX_CHARS].encode(), digest_size=8).hexdigest()


class RemoteJob:
    """One request on a replica; iterate `events()` as a local job's."""

    def __init__(self, handle, payload: Any, ctx: CallContext, affinity: str = ""):
        self.ctx = ctx
        self._handle = handle
        self._payload = payload
        self._affinity = affinity

    async def events(self) -> AsyncIterator[Any]:
        """The replica's events, then the result; raises the engine's error. Leaving early cancels the work."""
        stream = self._handle.options(stream=True, multiplexed_model_id=self._affinity).submit.remote(
            self._payload, CallFacts.of(self.ctx))
        loop = asyncio.get_running_loop()

        def cancel_stream() -> None:  # a cancel may come from any thread: the stream is cancelled in its loop
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing is left to stop
                loop.call_soon_threadsafe(stream.cancel)

        forget_cancel = self.ctx.on_cancel(cancel_stream)
        try:
            async for ready in stream:
                for event in ready:
                    if isinstance(event, Failure):
                        raise event.rebuild()
                    yield event.message() if isinstance(event, WireMessage) else event
        except (GeneratorExit, asyncio.CancelledError):  # the caller left early: stop the replica's work
            self.ctx.cancel()
            stream.cancel()
            raise
        except BackPressureError as error:
            raise ResourceExhausted(f"every replica of {self._handle.deployment_name!r} is busy and its queue is "
                                    f"full ({error})", retry_after_s=BACKPRESSURE_RETRY_S) from None
        except _REPLICA_LOST as error:
            raise Unavailable(f"the replica serving {self._handle.deployment_name!r} was lost mid-request; retry "
                              f"(another replica takes it): {type(error).__name__}") from None
        except (RequestCancelledError, ray.exceptions.TaskCancelledError):
            raise Cancelled() from None  # the context was cancelled, which cancelled the stream
        finally:
            forget_cancel()


class RemoteEngine:
    """The front's stand-in for a model's deployment: `submit` over a Ray Serve handle, and the facts a replica
    reported of the model (the attributes FACTS names for its kind, e.g. `default_steps` of a diffusion model)."""

    kind = ""

    def __init__(self, app_name: str, deployment: str, config: ModelConfig, facts: dict):
        self.name = deployment
        self.app_name = app_name
        for name in FACTS[self.kind]:
            setattr(self, name, facts[name])
        self.facts = facts["gguf"]  # what a GGUF file says of itself, for ModelInfo
        self.device: str = facts["device"]
        self.dtype: str = facts["dtype"]
        self._memory_bytes: int = facts["memory_bytes"]
        self._handle = None

    def submit(self, payload: Any, ctx: CallContext) -> RemoteJob:
        return RemoteJob(self._deployment(), payload, ctx)

    def _deployment(self):
        if self._handle is None:  # made in the serving event loop, where its calls run
            self._handle = serve.get_deployment_handle(self.name, app_name=self.app_name)
        return self._handle

    # -- what the registry asks of a resident engine ----------------------------------------------------
    def warmup(self) -> None:
        """Nothing here: each replica warms its own engine before it takes traffic."""

    def memory_bytes(self) -> int:
        """What one replica holds (the weights live in the replicas)."""
        return self._memory_bytes

    async def start(self) -> None:
        """Nothing here: the deployment runs on the cluster."""

    async def stop(self) -> None:
        """Nothing here: the deployment outlives a front (other fronts share it)."""


class RemoteTextEngine(RemoteEngine):
    """A text generator deployment behind the TextEngine contract; prompts are budgeted with a local vocabulary."""

    kind = "text-generator"
    context_tokens: int
    has_chat_template: bool

    def __init__(self, app_name: str, deployment: str, config: ModelConfig, facts: dict):
        super().__init__(app_name, deployment, config, facts)
        self._vocabulary = vocabulary_of(config)

    # -- the TextEngine contract ------------------------------------------------------------------------
    def submit(self, request: GenerationRequest, ctx: CallContext) -> RemoteJob:
        """Validate at the front (InvalidArgument naming the field), then hand the request to a replica."""
        validate_request(request, self.has_chat_template)
        return RemoteJob(self._deployment(), request, ctx, affinity_key(request))

    async def generate(self, request: GenerationRequest, ctx: CallContext | None = None) -> GenerationResult:
        return await final_result(self.submit(request, ctx or CallContext()).events())

    def render_prompt(self, messages: list[dict]) -> str:
        return self._vocabulary.render_prompt(messages)

    def count_tokens(self, text: str) -> int:
        return self._vocabulary.count_tokens(text)

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self._vocabulary.prompt_tokens(messages)


class RemoteDiffusionEngine(RemoteEngine):
    """A diffusion deployment: jobs stream Progress (with previews) and end with the DiffusionOutput."""

    kind = "diffusion"


class RemoteEmbedder(EmbedCalls, RemoteEngine):
    """An embedder deployment: `embed` as the local Embedder's."""

    kind = "embedder"


class RemoteSpeechEngine(SpeechCalls, RemoteEngine):
    """A speech deployment: `speak` and `speak_events` as the local engine's."""

    kind = "speech"


REMOTE_ENGINES = {engine.kind: engine for engine in (RemoteTextEngine, RemoteDiffusionEngine, RemoteEmbedder,
                                                     RemoteSpeechEngine)}
