"""gRPC transport: turns a domain service object into grpc.aio handlers from its proto descriptor.

A domain service is a plain class with one async method per RPC, named as in the proto and
taking (request, ctx); `api/calls.py` calls it, this module only speaks grpc around that.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator, NoReturn

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from worldsmith.api import calls, errors, validation
from worldsmith.api.auth import Authenticator
from worldsmith.api.domains import declared

HANDLER_FACTORIES = {  # (client streaming, server streaming) -> grpc's handler for that shape
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


class _GrpcTransport:
    """How a gRPC call learns that its client left, and how it refuses with a status."""

    def __init__(self, context: grpc.aio.ServicerContext):
        self._context = context

    def client_gone(self) -> bool:
        return self._context.cancelled()

    async def refuse(self, error: BaseException, request_id: str) -> NoReturn:
        await errors.abort(self._context, error, request_id)


def _serialize(response: Message) -> bytes:
    return response.SerializeToString()


class ServiceAdapter:
    """Builds grpc handlers for one service descriptor over one implementation object."""

    def __init__(self, descriptor: ServiceDescriptor, implementation: object, authenticator: Authenticator):
        self.descriptor = descriptor
        self.implementation = implementation
        self.authenticator = authenticator
        self.lane = declared(descriptor.full_name).lane

    def generic_handler(self) -> grpc.GenericRpcHandler:
        handlers = {}
        for method in self.descriptor.methods:
            function = getattr(self.implementation, method.name, None)
            if function is not None:  # a missing one is answered UNIMPLEMENTED by grpc
                handlers[method.name] = self._handler(method, function)
        return grpc.method_handlers_generic_handler(self.descriptor.full_name, handlers)

    def _handler(self, method: MethodDescriptor, function: calls.DomainMethod) -> grpc.RpcMethodHandler:
        request_class = message_factory.GetMessageClass(method.input_type)

        def decode(data: bytes) -> Message:
            # Requests arrive as bytes, so an unparseable one is INVALID_ARGUMENT, not grpc's INTERNAL.
            request = validation.parse(request_class, data)
            validation.check(request)
            return request

        async def responses(incoming: bytes | AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[Message]:
            scope = calls.CallScope(method, self.lane, self.authenticator, context.invocation_metadata(), context.time_remaining())
            context.add_done_callback(lambda _call: scope.ctx.cancel())
            # aclosing: when grpc closes this stream (the client left), the call core sees it at once.
            async with contextlib.aclosing(calls.respond(method, function, scope, incoming, decode, _GrpcTransport(context))) as stream:
                async for response in stream:
                    yield response

        async def response(incoming: bytes | AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> Message:
            return await calls.single(responses(incoming, context))

        factory = HANDLER_FACTORIES[(method.client_streaming, method.server_streaming)]
        return factory(responses if method.server_streaming else response, response_serializer=_serialize)
