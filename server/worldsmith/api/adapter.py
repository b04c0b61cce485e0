"""Generic adapter: turns a domain service object into grpc.aio handlers from the proto descriptor.

A domain service is a plain class with one async method per RPC, named as in the proto and
taking (request, ctx). This module is the only place that knows how gRPC calls them, so no
RPC is written twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any, AsyncIterator, Callable

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from worldsmith.api import errors, validation
from worldsmith.api.auth import Authenticator, metadata_value
from worldsmith.errors import Cancelled, WorldsmithError
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext, Lane

log = logging.getLogger(__name__)

REQUEST_ID = contextvars.ContextVar("request_id", default="-")

DEFAULT_LANES = {"worldsmith.v1.DialogueService": Lane.REALTIME}


class RequestIdFilter(logging.Filter):
    """Puts the current request id into every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def lane_of(request: Any, service_name: str) -> Lane:
    default = DEFAULT_LANES.get(service_name, Lane.INTERACTIVE)
    return Lane.from_proto(getattr(request, "lane", 0), default)


class CallScope:
    """Everything one call needs around the domain method: context, request id, metrics, errors."""

    def __init__(self, method: MethodDescriptor, service: ServiceDescriptor, authenticator: Authenticator,
                 metadata, deadline_remaining: float | None):
        self.name = f"/{service.full_name}/{method.name}"
        self.service_name = service.full_name
        self.ctx = CallContext(method=self.name)
        self.ctx.caller = authenticator.caller(metadata_value(metadata, "authorization"), self.name)
        client_request_id = metadata_value(metadata, "x-request-id")
        if client_request_id:
            self.ctx.request_id = client_request_id[:64]
        if deadline_remaining is not None:
            self.ctx.deadline = time.monotonic() + deadline_remaining
        self.started = time.monotonic()
        REQUEST_ID.set(self.ctx.request_id)  # each RPC runs in its own task, so this never leaks

    def set_lane(self, request: Any) -> None:
        self.ctx.lane = lane_of(request, self.service_name)

    def finish(self, code: str) -> None:
        metrics.REQUESTS.labels(self.name, code).inc()
        metrics.LATENCY.labels(self.name).observe(time.monotonic() - self.started)
        level = logging.WARNING if code == "INTERNAL" else logging.INFO
        log.log(level, "%s %s %.1f ms", self.name, code, (time.monotonic() - self.started) * 1000)


def _outcome(error: BaseException) -> str:
    if isinstance(error, WorldsmithError):
        return error.code
    if isinstance(error, asyncio.CancelledError):
        return "CANCELLED"
    return "INTERNAL"


class ServiceAdapter:
    """Builds grpc handlers for one service descriptor over one implementation object."""

    def __init__(self, descriptor: ServiceDescriptor, implementation: Any, authenticator: Authenticator):
        self.descriptor = descriptor
        self.implementation = implementation
        self.authenticator = authenticator

    def generic_handler(self) -> grpc.GenericRpcHandler:
        handlers = {}
        for method in self.descriptor.methods:
            function = getattr(self.implementation, method.name, None)
            if function is None:
                continue  # grpc answers UNIMPLEMENTED
            handlers[method.name] = self._handler(method, function)
        return grpc.method_handlers_generic_handler(self.descriptor.full_name, handlers)

    def _scope(self, method: MethodDescriptor, context: grpc.aio.ServicerContext) -> CallScope:
        scope = CallScope(method, self.descriptor, self.authenticator, context.invocation_metadata(), context.time_remaining())
        context.add_done_callback(lambda _call: scope.ctx.cancel())
        return scope

    def _handler(self, method: MethodDescriptor, function: Callable) -> grpc.RpcMethodHandler:
        request_class = message_factory.GetMessageClass(method.input_type)
        serialize = lambda response: response.SerializeToString()  # noqa: E731

        def decode(data: bytes, scope: CallScope):
            request = validation.parse(request_class, data)
            validation.check(request)
            return request

        async def requests_of(iterator: AsyncIterator[bytes], scope: CallScope):
            async for data in iterator:
                yield decode(data, scope)

        if not method.client_streaming and not method.server_streaming:
            async def unary_unary(data: bytes, context):
                scope = self._scope(method, context)
                try:
                    request = decode(data, scope)
                    scope.set_lane(request)
                    response = await function(request, scope.ctx)
                except BaseException as error:
                    await self._fail(context, scope, error)
                scope.finish("OK")
                return response
            return grpc.unary_unary_rpc_method_handler(unary_unary, response_serializer=serialize)

        if not method.client_streaming:
            async def unary_stream(data: bytes, context):
                scope = self._scope(method, context)
                try:
                    request = decode(data, scope)
                    scope.set_lane(request)
                    async for response in function(request, scope.ctx):
                        yield response
                except BaseException as error:
                    await self._fail(context, scope, error)
                scope.finish("OK")
            return grpc.unary_stream_rpc_method_handler(unary_stream, response_serializer=serialize)

        async def stream_stream(iterator, context):
            scope = self._scope(method, context)
            scope.ctx.lane = DEFAULT_LANES.get(self.descriptor.full_name, Lane.INTERACTIVE)
            try:
                if method.server_streaming:
                    async for response in function(requests_of(iterator, scope), scope.ctx):
                        yield response
                else:
                    yield await function(requests_of(iterator, scope), scope.ctx)
            except BaseException as error:
                await self._fail(context, scope, error)
            scope.finish("OK")

        if method.server_streaming:
            return grpc.stream_stream_rpc_method_handler(stream_stream, response_serializer=serialize)

        async def stream_unary(iterator, context):
            async for response in stream_stream(iterator, context):
                return response
        return grpc.stream_unary_rpc_method_handler(stream_unary, response_serializer=serialize)

    async def _fail(self, context, scope: CallScope, error: BaseException) -> None:
        scope.ctx.cancel()
        if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
            scope.finish("CANCELLED")
            raise error
        if isinstance(error, Cancelled) and context.cancelled():
            scope.finish("CANCELLED")
            raise asyncio.CancelledError()
        if not isinstance(error, WorldsmithError):
            log.exception("unhandled error in %s", scope.name, exc_info=error)
        scope.finish(_outcome(error))
        await errors.abort(context, error, scope.ctx.request_id)
