"""RemoteTextEngine: a text generator served by a Ray Serve deployment, behind the same `TextEngine` contract as a
local engine (submit() -> a job whose events() stream Queued, TextChunk and the GenerationResult), so domains
cannot tell the two apart.

Requests are validated at the front (the vocabulary is local), then streamed from a replica through a handle.
A conversation's turns carry a key of their prompt's stable head (in the request's multiplexed model id field), by
which `runtime/ray_routing.py` sends them back to the replica whose cache already holds that prefix. Leaving the iteration early, or cancelling the call's
context, cancels the replica's work; a full deployment answers RESOURCE_EXHAUSTED with a retry delay; a replica
that dies fails its calls with UNAVAILABLE, and the next calls go to the replicas left.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any, AsyncIterator

import ray.exceptions
from ray import serve
from ray.serve.exceptions import (BackPressureError, DeploymentUnavailableError, ReplicaUnavailableError,
                                  RequestCancelledError)

from worldsmith.errors import Cancelled, ResourceExhausted, Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import GenerationRequest, GenerationResult, final_result, validate_request
from worldsmith.runtime.ray_serve import CallFacts, Failure, QueuedAt

CANCEL_POLL_S = 0.02  # how often a streaming call looks at its context for a cancel
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

    def __init__(self, handle, request: GenerationRequest, ctx: CallContext):
        self.ctx = ctx
        self._handle = handle
        self._request = request

    async def events(self) -> AsyncIterator[Any]:
        """The replica's events, then the result; raises the engine's error. Leaving early cancels the work."""
        facts = CallFacts.of(self.ctx)
        stream = self._handle.options(stream=True, multiplexed_model_id=affinity_key(self._request)).generate.remote(
            self._request, facts)
        watcher = asyncio.create_task(self._cancel_when_asked(stream))
        try:
            async for event in stream:
                if isinstance(event, Failure):
                    raise event.rebuild()
                yield event.message() if isinstance(event, QueuedAt) else event
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
            raise Cancelled() from None  # the context was cancelled: the watcher stopped the replica's work
        finally:
            watcher.cancel()

    async def _cancel_when_asked(self, stream) -> None:
        """Cancel the replica's work as soon as the call's context is cancelled (client cancel, disconnect)."""
        while not self.ctx.is_cancelled:
            await asyncio.sleep(CANCEL_POLL_S)
        stream.cancel()


class RemoteTextEngine:
    """The front's stand-in for a text generator deployment: the TextEngine contract over a Ray Serve handle."""

    def __init__(self, app_name: str, deployment: str, vocabulary, facts: dict):
        self.name = deployment
        self.app_name = app_name
        self.model_id: str = facts["model_id"]
        self.revision: str = facts["revision"]
        self.context_tokens: int = facts["context_tokens"]
        self.has_chat_template: bool = facts["has_chat_template"]
        self.special_tokens: list[str] = facts["special_tokens"]
        self._vocabulary = vocabulary
        self._handle = None

    # -- the TextEngine contract ------------------------------------------------------------------------
    def submit(self, request: GenerationRequest, ctx: CallContext) -> RemoteJob:
        """Validate at the front (InvalidArgument naming the field), then hand the request to a replica."""
        validate_request(request, self.has_chat_template)
        if self._handle is None:  # made in the serving event loop, where its calls run
            self._handle = serve.get_deployment_handle(self.name, app_name=self.app_name)
        return RemoteJob(self._handle, request, ctx)

    async def generate(self, request: GenerationRequest, ctx: CallContext | None = None) -> GenerationResult:
        return await final_result(self.submit(request, ctx or CallContext()).events())

    def render_prompt(self, messages: list[dict]) -> str:
        return self._vocabulary.render_prompt(messages)

    def count_tokens(self, text: str) -> int:
        return self._vocabulary.count_tokens(text)

    def prompt_tokens(self, messages: list[dict]) -> int:
        return self._vocabulary.prompt_tokens(messages)

    # -- what the registry asks of a resident engine ----------------------------------------------------
    def warmup(self) -> None:
        """Nothing here: each replica warms its own engine before it takes traffic."""

    def memory_bytes(self) -> int:
        return 0  # the weights live in the replicas

    async def start(self) -> None:
        """Nothing here: the deployment runs on the cluster."""

    async def stop(self) -> None:
        """Nothing here: the deployment outlives a front (other fronts share it)."""
