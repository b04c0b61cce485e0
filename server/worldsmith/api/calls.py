"""The call core both transports share: the scope of one call and every call shape as one stream of responses.

A transport (api/adapter.py for gRPC, api/http.py for Connect and gRPC-Web) only turns its own
request into a `CallScope` and its input, and its refusal of an error into its own wire form.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import AsyncIterator, Awaitable, Callable, Iterable, NoReturn, Protocol, TypeVar

from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from worldsmith.api.auth import Authenticator, metadata_value
from worldsmith.errors import Cancelled, WorldsmithError
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext, Lane

log = logging.getLogger(__name__)

REQUEST_ID = contextvars.ContextVar("request_id", default="-")

Incoming = TypeVar("Incoming")

# A domain service's RPC method: (request or request stream, ctx) -> response or response stream.
DomainMethod = Callable[[Message | AsyncIterator[Message], CallContext], Awaitable[Message] | AsyncIterator[Message]]


class RequestIdFilter(logging.Filter):
    """Puts the current request id into every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class CallScope:
    """Everything one call needs around the domain method: context, lane, request id, metrics."""

    def __init__(self, method: MethodDescriptor, lane: Lane, authenticator: Authenticator,
                 metadata: Iterable[tuple[str, str]], deadline_remaining: float | None):
        self.name = f"/{method.containing_service.full_name}/{method.name}"
        self.ctx = CallContext(method=self.name, lane=lane)
        self.ctx.caller = authenticator.caller(metadata_value(metadata, "authorization"), self.name)
        client_request_id = metadata_value(metadata, "x-request-id")
        if client_request_id:
            self.ctx.request_id = client_request_id[:64]
        if deadline_remaining is not None:
            self.ctx.deadline = time.monotonic() + deadline_remaining
        self.started = time.monotonic()
        REQUEST_ID.set(self.ctx.request_id)  # each RPC runs in its own task, so this never leaks

    def take_lane(self, request: Message) -> None:
        """A request's own `lane` field wins over the service's declared lane."""
        self.ctx.lane = Lane.from_proto(getattr(request, "lane", 0), self.ctx.lane)

    def finish(self, code: str) -> None:
        metrics.REQUESTS.labels(self.name, code).inc()
        metrics.LATENCY.labels(self.name).observe(time.monotonic() - self.started)
        level = logging.WARNING if code == "INTERNAL" else logging.INFO
        log.log(level, "%s %s %.1f ms", self.name, code, (time.monotonic() - self.started) * 1000)


class Transport(Protocol):
    """What the call core asks of the transport a call came in on."""

    def client_gone(self) -> bool:
        """Whether the client cancelled or went away, so a Cancelled out of the domain is theirs."""

    async def refuse(self, error: BaseException, request_id: str) -> NoReturn:
        """End the call with the status (and google.rpc details) for `error`."""


async def respond(method: MethodDescriptor, function: DomainMethod, scope: CallScope, incoming: Incoming | AsyncIterator[Incoming],
                  decode: Callable[[Incoming], Message], transport: Transport) -> AsyncIterator[Message]:
    """Call the domain method in any of the four shapes and yield its responses (one for unary
    methods); decoding, the lane, metrics and the mapping of every error happen here."""
    try:
        if method.client_streaming:
            call = function(_decoded(incoming, decode), scope.ctx)
        else:
            request = decode(incoming)
            scope.take_lane(request)
            call = function(request, scope.ctx)
        if method.server_streaming:
            async for response in call:
                yield response
        else:
            yield await call
    except BaseException as error:
        await _fail(scope, error, transport)
    scope.finish("OK")


async def single(responses: AsyncIterator[Message]) -> Message:
    """The one response of a unary-out call, read to the end so the call is counted as finished."""
    last = None
    async for response in responses:
        last = response
    return last


async def _decoded(incoming: AsyncIterator[Incoming], decode: Callable[[Incoming], Message]) -> AsyncIterator[Message]:
    async for item in incoming:
        yield decode(item)


async def _fail(scope: CallScope, error: BaseException, transport: Transport) -> NoReturn:
    scope.ctx.cancel()
    if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
        scope.finish("CANCELLED")
        raise error
    if isinstance(error, Cancelled) and transport.client_gone():
        scope.finish("CANCELLED")
        raise asyncio.CancelledError()
    if not isinstance(error, WorldsmithError):
        log.exception("unhandled error in %s", scope.name, exc_info=error)
    scope.finish(error.code if isinstance(error, WorldsmithError) else "INTERNAL")
    await transport.refuse(error, scope.ctx.request_id)

