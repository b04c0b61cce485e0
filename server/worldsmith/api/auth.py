"""API keys with scopes: `authorization: Bearer KEY`, checked per method; health and reflection stay open."""

from __future__ import annotations

import hmac
import logging

import grpc

from worldsmith.api.domains import BY_NAME
from worldsmith.config import AuthConfig
from worldsmith.domain import Scope
from worldsmith.errors import PermissionDenied, Unauthenticated
from worldsmith.runtime.context import Caller

log = logging.getLogger(__name__)

OPEN_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")

# What each scope may call. admin implies editor implies runtime.
IMPLIED = {
    Scope.RUNTIME: {Scope.RUNTIME},
    Scope.EDITOR: {Scope.RUNTIME, Scope.EDITOR},
    Scope.ADMIN: {Scope.RUNTIME, Scope.EDITOR, Scope.ADMIN},
}


def required_scope(full_method: str) -> Scope | None:
    """'/worldsmith.v1.TextureService/GenerateTexture' -> editor, as the service's Domain declares;
    None for open methods. A service no Domain declares needs editor (grpc answers UNIMPLEMENTED)."""
    if full_method.startswith(OPEN_PREFIXES):
        return None
    service, _, method = full_method.lstrip("/").partition("/")
    domain = BY_NAME.get(service)
    return Scope.EDITOR if domain is None else domain.scope_of(method)


class Authenticator:
    """Checks a bearer key against the configured keys, in constant time."""

    def __init__(self, config: AuthConfig):
        self.enabled = config.enabled
        self._keys = [(key.key.encode(), Caller(key.name, frozenset().union(*(IMPLIED[s] for s in key.scopes)))) for key in config.keys]

    def caller(self, authorization: str | None, full_method: str) -> Caller:
        """The caller for this key, or Unauthenticated / PermissionDenied."""
        scope = required_scope(full_method)
        if not self.enabled:
            return Caller("auth-disabled", frozenset(IMPLIED[Scope.ADMIN]))
        if scope is None:
            return Caller()
        if not authorization:
            raise Unauthenticated("missing API key: send 'authorization: Bearer <key>'")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 9110); the key alone is not accepted
            raise Unauthenticated("the authorization header must read 'Bearer <key>'")
        token = token.strip().encode()
        found = None
        for key, caller in self._keys:
            if hmac.compare_digest(key, token):
                found = caller
        if found is None:
            raise Unauthenticated("unknown API key")
        if scope not in found.scopes:
            raise PermissionDenied(f"key {found.key_id!r} lacks the {scope.value!r} scope that {full_method} needs")
        return found


def metadata_value(metadata, name: str) -> str | None:
    for key, value in metadata or ():
        if key == name:
            return value
    return None


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without a valid key before any handler runs."""

    def __init__(self, authenticator: Authenticator):
        self._auth = authenticator

    async def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = await continuation(details)
        try:
            self._auth.caller(metadata_value(details.invocation_metadata, "authorization"), details.method)
        except (Unauthenticated, PermissionDenied) as error:
            return _refusal(handler, grpc.StatusCode[error.code], error.message)
        return handler


def _refusal(handler: grpc.RpcMethodHandler | None, code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same shape as the refused one that aborts without reading the request."""

    async def refuse(request_or_iterator, context):
        await context.abort(code, message)

    async def refuse_stream(request_or_iterator, context):
        await context.abort(code, message)
        yield  # makes this an async generator, as streaming handlers must be

    streaming_out = handler is not None and handler.response_streaming
    streaming_in = handler is not None and handler.request_streaming
    factory = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }[(streaming_in, streaming_out)]
    # Raw bytes in: the refusal must not depend on the request parsing.
    return factory(refuse_stream if streaming_out else refuse)
