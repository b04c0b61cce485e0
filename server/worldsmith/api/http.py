"""The HTTP/1.1 listener: the same service objects over Connect (JSON or binary) and gRPC-Web.

Godot's HTTPClient and Unity's WebGL builds have no HTTP/2, so they cannot speak native gRPC.
connectrpc implements both protocols on ASGI and uvicorn serves them; this module only builds
connectrpc endpoints from the proto descriptors around the domain methods, with the same
auth, CallContext, validation, limits and error mapping as the gRPC adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from typing import Any, Callable

import grpc
import uvicorn
from connectrpc.code import Code
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError, ErrorDetail
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from connectrpc.request import RequestContext
from connectrpc.server import ConnectASGIApplication, Endpoint
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from protobuf.wkt import Any as WireAny
from starlette.middleware.cors import CORSMiddleware

from worldsmith._proto.worldsmith.v1 import admin_pb2, avatar_pb2, dialogue_pb2, scene_pb2, texture_pb2  # noqa: F401 - fills the pool
from worldsmith.api import errors, validation
from worldsmith.api.adapter import DEFAULT_LANES, CallScope
from worldsmith.api.auth import Authenticator
from worldsmith.config import Settings
from worldsmith.errors import InvalidArgument, WorldsmithError

log = logging.getLogger(__name__)

# Request headers browsers may send across origins, and response headers scripts may read.
CORS_ALLOWED_HEADERS = [
    "authorization", "content-type", "connect-protocol-version", "connect-timeout-ms",
    "connect-accept-encoding", "connect-content-encoding", "grpc-timeout", "x-grpc-web",
    "x-user-agent", "x-request-id",
]
CORS_EXPOSED_HEADERS = ["grpc-status", "grpc-message", "grpc-status-details-bin", "connect-content-encoding"]


def connect_error(error: BaseException, request_id: str) -> ConnectError:
    """The ConnectError for any exception, with the google.rpc details the gRPC listener sends."""
    code, status = errors.to_status(error, request_id)
    details = [ErrorDetail(WireAny(type_url=detail.type_url, value=detail.value)) for detail in status.details]
    return ConnectError(Code.CANCELED if code == grpc.StatusCode.CANCELLED else Code[code.name], status.message, details)


class _Validating:
    """Wraps a codec so undecodable requests and unknown enum values answer INVALID_ARGUMENT
    with a BadRequest, exactly as on the gRPC listener."""

    def __init__(self, codec):
        self._codec = codec

    def name(self) -> str:
        return self._codec.name()

    def encode(self, message) -> bytes:
        return self._codec.encode(message)

    def decode(self, data, message_class):
        try:
            message = self._codec.decode(data, message_class)
            validation.check(message)
        except InvalidArgument as error:
            raise connect_error(error, "-") from None
        except Exception as error:  # the codec's own parse errors
            what = f"is not a valid {message_class.DESCRIPTOR.full_name} in {self.name()} ({error})"
            raise connect_error(InvalidArgument("request", what), "-") from None
        return message


def _stream_type(method: MethodDescriptor) -> StreamType:
    return {
        (False, False): StreamType.UNARY,
        (False, True): StreamType.SERVER_STREAM,
        (True, False): StreamType.CLIENT_STREAM,
        (True, True): StreamType.BIDI_STREAM,
    }[(method.client_streaming, method.server_streaming)]


class _ServiceEndpoints:
    """connectrpc endpoints for one service descriptor over one implementation object."""

    def __init__(self, descriptor: ServiceDescriptor, implementation: Any, authenticator: Authenticator):
        self.descriptor = descriptor
        self.implementation = implementation
        self.authenticator = authenticator

    def endpoints(self) -> dict[str, Any]:
        found = {}
        for method in self.descriptor.methods:
            function = getattr(self.implementation, method.name, None)
            if function is not None:  # missing methods answer 404 / unimplemented
                found[f"/{self.descriptor.full_name}/{method.name}"] = self._endpoint(method, function)
        return found

    def _scope(self, method: MethodDescriptor, ctx: RequestContext) -> CallScope:
        headers = list(ctx.request_headers.allitems())
        remaining = None if ctx.timeout_ms is None else ctx.timeout_ms / 1000
        try:
            return CallScope(method, self.descriptor, self.authenticator, headers, remaining)
        except WorldsmithError as error:  # the key is missing, unknown, or lacks the scope
            raise connect_error(error, "-") from None

    def _fail(self, scope: CallScope, error: BaseException) -> BaseException:
        """What to raise for an error out of the domain; connectrpc writes it to the client."""
        scope.ctx.cancel()
        if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
            scope.finish("CANCELLED")
            return error
        if not isinstance(error, WorldsmithError):
            log.exception("unhandled error in %s", scope.name, exc_info=error)
        scope.finish(error.code if isinstance(error, WorldsmithError) else "INTERNAL")
        return connect_error(error, scope.ctx.request_id)

    def _endpoint(self, method: MethodDescriptor, function: Callable):
        info = MethodInfo(
            name=method.name,
            service_name=self.descriptor.full_name,
            input=message_factory.GetMessageClass(method.input_type),
            output=message_factory.GetMessageClass(method.output_type),
            idempotency_level=IdempotencyLevel.UNKNOWN,
            stream_type=_stream_type(method),
        )

        if info.stream_type == StreamType.UNARY:
            async def unary(request, ctx: RequestContext):
                scope = self._scope(method, ctx)
                try:
                    scope.set_lane(request)
                    response = await function(request, scope.ctx)
                except BaseException as error:
                    raise self._fail(scope, error) from None
                scope.finish("OK")
                return response
            return Endpoint.unary(info, unary)

        if info.stream_type == StreamType.SERVER_STREAM:
            async def server_stream(request, ctx: RequestContext):
                scope = self._scope(method, ctx)
                try:
                    scope.set_lane(request)
                    async for response in function(request, scope.ctx):
                        yield response
                except BaseException as error:
                    raise self._fail(scope, error) from None
                scope.finish("OK")
            return Endpoint.server_stream(info, server_stream)

        # Client and bidirectional streams: Connect over HTTP/1.1 sends the whole request
        # stream before the response starts, which suits tools more than games.
        async def streaming_in(requests, ctx: RequestContext):
            scope = self._scope(method, ctx)
            scope.ctx.lane = DEFAULT_LANES.get(self.descriptor.full_name, scope.ctx.lane)
            try:
                if method.server_streaming:
                    async for response in function(requests, scope.ctx):
                        yield response
                else:
                    yield await function(requests, scope.ctx)
            except BaseException as error:
                raise self._fail(scope, error) from None
            scope.finish("OK")

        if method.server_streaming:
            return Endpoint.bidi_stream(info, streaming_in)

        async def client_stream(requests, ctx: RequestContext):
            async for response in streaming_in(requests, ctx):
                return response
        return Endpoint.client_stream(info, client_stream)


class _Application(ConnectASGIApplication):
    """Every service on one ASGI app, routed by the full method path."""

    @property
    def path(self) -> str:
        return "/"


def build_app(settings: Settings, services: dict[str, object], authenticator: Authenticator):
    """The ASGI app serving `services` (full service name -> implementation object)."""
    pool = descriptor_pool.Default()
    endpoints: dict[str, Any] = {}
    for name, implementation in services.items():
        endpoints.update(_ServiceEndpoints(pool.FindServiceByName(name), implementation, authenticator).endpoints())
    app = _Application(
        service=services,
        endpoints=lambda _services: endpoints,
        read_max_bytes=settings.server.max_message_bytes,
        # Strict JSON: a misspelt field or enum name is the caller's mistake, not something to drop.
        codecs=[_Validating(google_protobuf_binary_codec()), _Validating(google_protobuf_json_codec(ignore_unknown_fields=False))],
    )
    if not settings.server.cors_origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=settings.server.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=CORS_ALLOWED_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=3600,
    )


class _Server(uvicorn.Server):
    # The worldsmith process owns SIGTERM/SIGINT (api/server.py); uvicorn must not take them.
    @contextlib.contextmanager
    def capture_signals(self):
        yield


class HttpListener:
    """uvicorn serving the Connect / gRPC-Web app on `server.host:server.http_port`."""

    def __init__(self, settings: Settings, services: dict[str, object], authenticator: Authenticator):
        self.settings = settings
        self._socket = socket.create_server((settings.server.host, settings.server.http_port))
        self.port: int = self._socket.getsockname()[1]
        tls = settings.server.tls
        config = uvicorn.Config(
            build_app(settings, services, authenticator),
            lifespan="off",
            http="h11",
            log_config=None,
            access_log=False,
            server_header=False,
            # The same certificate as the gRPC port, and client certificates when it asks for them.
            ssl_certfile=tls.cert_file,
            ssl_keyfile=tls.key_file,
            ssl_ca_certs=tls.client_ca_file,
            ssl_cert_reqs=ssl.CERT_REQUIRED if tls.client_ca_file else ssl.CERT_NONE,
            # Like grpc's maximum_concurrent_rpcs: past it, calls are refused (503) at once.
            limit_concurrency=settings.server.max_concurrent_streams,
            timeout_graceful_shutdown=max(settings.server.grace_period_s, 0.1),
        )
        self._server = _Server(config)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises the start-up error
                raise RuntimeError("the HTTP listener stopped during start-up")
            await asyncio.sleep(0.01)
        scheme = "TLS" if self.settings.server.tls.enabled else "plaintext"
        log.info("worldsmith HTTP/1.1 (Connect, gRPC-Web) listening on %s:%d (%s)", self.settings.server.host, self.port, scheme)

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting, give running calls the grace period, then cancel them."""
        if self._task is None:
            return
        if grace is not None:
            self._server.config.timeout_graceful_shutdown = max(grace, 0.1)
        self._server.should_exit = True
        await self._task
        self._socket.close()


async def serve_http(settings: Settings, services: dict[str, object], authenticator: Authenticator | None = None) -> HttpListener:
    """Start the HTTP/1.1 listener for `services`; returns it running (stop() to end it)."""
    listener = HttpListener(settings, services, authenticator or Authenticator(settings.auth))
    await listener.start()
    return listener
