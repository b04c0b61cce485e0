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
from typing import AsyncIterator, NoReturn

import grpc
import uvicorn
from connectrpc.code import Code
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError, ErrorDetail
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from connectrpc.request import RequestContext
from connectrpc.server import ConnectASGIApplication, Endpoint
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from protobuf.wkt import Any as WireAny
from starlette.middleware.cors import CORSMiddleware

from worldsmith.api import calls, errors, validation
from worldsmith.api.auth import Authenticator
from worldsmith.api.domains import declared
from worldsmith.api.studio import StudioMount
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


STREAM_TYPES = {  # (client streaming, server streaming) -> connectrpc's stream type
    (False, False): StreamType.UNARY,
    (False, True): StreamType.SERVER_STREAM,
    (True, False): StreamType.CLIENT_STREAM,
    (True, True): StreamType.BIDI_STREAM,
}
ENDPOINT_FACTORIES = {
    StreamType.UNARY: Endpoint.unary,
    StreamType.SERVER_STREAM: Endpoint.server_stream,
    StreamType.CLIENT_STREAM: Endpoint.client_stream,
    StreamType.BIDI_STREAM: Endpoint.bidi_stream,
}


class _HttpTransport:
    """How a Connect or gRPC-Web call refuses: connectrpc writes the raised ConnectError."""

    def client_gone(self) -> bool:
        return False  # a client that leaves cancels the call's task

    async def refuse(self, error: BaseException, request_id: str) -> NoReturn:
        raise connect_error(error, request_id) from None


def _decoded(request: Message) -> Message:
    return request  # the _Validating codec has parsed and checked it


class _ServiceEndpoints:
    """connectrpc endpoints for one service descriptor over one implementation object."""

    def __init__(self, descriptor: ServiceDescriptor, implementation: object, authenticator: Authenticator):
        self.descriptor = descriptor
        self.implementation = implementation
        self.authenticator = authenticator
        self.lane = declared(descriptor.full_name).lane

    def endpoints(self) -> dict[str, Endpoint]:
        found = {}
        for method in self.descriptor.methods:
            function = getattr(self.implementation, method.name, None)
            if function is not None:  # missing methods answer 404 / unimplemented
                found[f"/{self.descriptor.full_name}/{method.name}"] = self._endpoint(method, function)
        return found

    def _scope(self, method: MethodDescriptor, ctx: RequestContext) -> calls.CallScope:
        headers = list(ctx.request_headers.allitems())
        remaining = None if ctx.timeout_ms is None else ctx.timeout_ms / 1000
        try:
            return calls.CallScope(method, self.lane, self.authenticator, headers, remaining)
        except WorldsmithError as error:  # the key is missing, unknown, or lacks the scope
            raise connect_error(error, "-") from None

    def _endpoint(self, method: MethodDescriptor, function: calls.DomainMethod) -> Endpoint:
        # Client and bidirectional streams: Connect over HTTP/1.1 sends the whole request
        # stream before the response starts, which suits tools more than games.
        info = MethodInfo(
            name=method.name,
            service_name=self.descriptor.full_name,
            input=message_factory.GetMessageClass(method.input_type),
            output=message_factory.GetMessageClass(method.output_type),
            idempotency_level=IdempotencyLevel.UNKNOWN,
            stream_type=STREAM_TYPES[(method.client_streaming, method.server_streaming)],
        )

        async def responses(incoming: Message | AsyncIterator[Message], ctx: RequestContext) -> AsyncIterator[Message]:
            scope = self._scope(method, ctx)
            # aclosing: when connectrpc closes this stream (the client left), the call core sees it at once.
            async with contextlib.aclosing(calls.respond(method, function, scope, incoming, _decoded, _HttpTransport())) as stream:
                async for response in stream:
                    yield response

        async def response(incoming: Message | AsyncIterator[Message], ctx: RequestContext) -> Message:
            return await calls.single(responses(incoming, ctx))

        return ENDPOINT_FACTORIES[info.stream_type](info, responses if method.server_streaming else response)


class _KeyBeforeBody:
    """Refuses a call whose key is missing, unknown or lacks the scope before its body is read or parsed, as the gRPC
    interceptor does (connectrpc runs leading metadata interceptors first)."""

    def __init__(self, authenticator: Authenticator):
        self.authenticator = authenticator

    async def on_start(self, ctx: RequestContext) -> None:
        method = ctx.method
        try:
            self.authenticator.caller(ctx.request_headers.get("authorization"), f"/{method.service_name}/{method.name}")
        except WorldsmithError as error:
            raise connect_error(error, "-") from None

    async def on_end(self, token: None, ctx: RequestContext, error: Exception | None) -> None:
        pass


class _DrainUnreadBody:
    """Reads and drops what is left of a request's body (up to `limit` bytes) before its response starts. A call
    refused before its body is read (a bad key) would otherwise be answered while the body is still arriving, and
    the HTTP/1.1 server then closes the connection with it unread: the client sees a reset, not the answer."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body_done = False

        async def tracked_receive():
            nonlocal body_done
            message = await receive()
            body_done = body_done or message["type"] == "http.disconnect" or not message.get("more_body", False)
            return message

        async def draining_send(message):
            left = self.limit
            while message["type"] == "http.response.start" and not body_done and left > 0:
                left -= len((await tracked_receive()).get("body", b""))
            await send(message)

        await self.app(scope, tracked_receive, draining_send)


class _Application(ConnectASGIApplication):
    """Every service on one ASGI app, routed by the full method path."""

    @property
    def path(self) -> str:
        return "/"


def build_app(settings: Settings, services: dict[str, object], authenticator: Authenticator):
    """The ASGI app serving `services` (full service name -> implementation object)."""
    endpoints: dict[str, Endpoint] = {}
    for name, implementation in services.items():
        endpoints.update(_ServiceEndpoints(declared(name).service, implementation, authenticator).endpoints())
    app = _Application(
        service=services,
        endpoints=lambda _services: endpoints,
        read_max_bytes=settings.server.max_message_bytes,
        interceptors=[_KeyBeforeBody(authenticator)],
        # Strict JSON: a misspelt field or enum name is the caller's mistake, not something to drop.
        codecs=[_Validating(google_protobuf_binary_codec()), _Validating(google_protobuf_json_codec(ignore_unknown_fields=False))],
    )
    if settings.server.cors_origins:
        app = CORSMiddleware(
            app,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_ALLOWED_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=3600,
        )
    return _DrainUnreadBody(StudioMount(app, settings), settings.server.max_message_bytes)  # studio at /studio/


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
        log.info("worldsmith HTTP/1.1 (Connect, gRPC-Web) listening on %s:%d (%s); the studio is at /studio/",
                 self.settings.server.host, self.port, scheme)

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
