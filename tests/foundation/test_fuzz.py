"""Hostile bytes and random values at every RPC the server lists by reflection, on tiny models: no call may end
INTERNAL or UNKNOWN, and the server answers health checks afterwards."""

from __future__ import annotations

import math
import random
import time

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from harness import CHANNEL_OPTIONS, running
from worldsmith.config import load_settings

CALLS_PER_METHOD = 6
CALL_TIMEOUT_S = 4.0
STREAM_MESSAGES = 3  # a streaming call is read this far, then cancelled
GARBAGE = [b"\xff" * 7, b"\x0a\xff\xff\xff\xff\x0f", bytes(range(256)), b"\x12\x05abc", b"\x08" + b"\x80" * 11]
STRINGS = ["", "a" * 5000, "\x00", "abc\n", "\u202eevil", "\ufeffbom", "../../etc/passwd", "/tmp/x", "null", "{",
           "日本語", "-1", " "]
FLOATS = [0.0, -1.0, 1e38, -1e38, 1e-45, math.nan, math.inf, -math.inf, 0.5, 3.0]
INTS = [0, 1, -1, 2, 7, 2**31 - 1, -2**31, 10**6]
UNSIGNED = [0, 1, 2, 7, 2**32 - 1, 10**6]


@pytest.fixture(scope="module")
async def server(tiny_models, tmp_path_factory):
    settings = load_settings(tiny_models / "worldsmith.toml", server__port=0,
                             server__data_dir=tmp_path_factory.mktemp("fuzz"))
    key = next(k.key for k in settings.auth.keys if "admin" in k.scopes)
    async with running(settings) as started:
        yield started, (("authorization", f"Bearer {key}"),)


async def test_every_rpc_survives_garbage_and_random_values(server):
    started, metadata = server
    outcomes: dict[str, set[str]] = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{started.port}", options=CHANNEL_OPTIONS) as channel:
        methods = await _methods_by_reflection(channel)
        assert len(methods) >= 25, sorted(methods)
        rng = random.Random(15)
        began = time.monotonic()
        for path, (method, message_class) in sorted(methods.items()):
            payloads = [*GARBAGE[:2], *(_random_message(message_class.DESCRIPTOR, message_class, rng).SerializeToString()
                                       for _ in range(CALLS_PER_METHOD)),
                        *(_one_field(message_class, field, rng).SerializeToString()
                          for field in message_class.DESCRIPTOR.fields)]
            for payload in payloads:
                code = await _call(channel, path, method, payload, metadata)
                outcomes.setdefault(path, set()).add(code.name)
                assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (path, payload[:200])
        assert time.monotonic() - began < 300
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    # Not only refusals: some random values pass validation and reach the services.
    assert {"OK", "NOT_FOUND"} <= set().union(*outcomes.values()), outcomes


async def _methods_by_reflection(channel) -> dict:
    """Every method of every worldsmith service: its descriptor and request class, as a generic client finds them."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def ask(**request):
        async for response in stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)])):
            return response

    listed = await ask(list_services="")
    services = [s.name for s in listed.list_services_response.service if s.name.startswith("worldsmith.")]
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    for service in services:
        response = await ask(file_containing_symbol=service)
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                 for raw in response.file_descriptor_response.file_descriptor_proto]
        while files:  # dependencies first
            ready = [f for f in files if all(d in added for d in f.dependency)]
            for proto in ready or files[:1]:
                if proto.name not in added:
                    pool.Add(proto)
                    added.add(proto.name)
                files.remove(proto)
    methods = {}
    for service in services:
        for method in pool.FindServiceByName(service).methods:
            methods[f"/{service}/{method.name}"] = (method, message_factory.GetMessageClass(method.input_type))
    return methods


async def _call(channel, path: str, method, payload: bytes, metadata) -> grpc.StatusCode:
    identity = lambda raw: raw  # noqa: E731 - bytes in, bytes out
    kwargs = {"request_serializer": identity, "response_deserializer": identity}
    try:
        if method.client_streaming:
            call = channel.stream_stream(path, **kwargs)(iter([payload]), metadata=metadata, timeout=CALL_TIMEOUT_S)
        elif method.server_streaming:
            call = channel.unary_stream(path, **kwargs)(payload, metadata=metadata, timeout=CALL_TIMEOUT_S)
        else:
            await channel.unary_unary(path, **kwargs)(payload, metadata=metadata, timeout=CALL_TIMEOUT_S)
            return grpc.StatusCode.OK
        read = 0
        async for _ in call:
            read += 1
            if read >= STREAM_MESSAGES:
                call.cancel()
                return grpc.StatusCode.OK
        return grpc.StatusCode.OK
    except grpc.aio.AioRpcError as error:
        return error.code()


def _one_field(message_class, field, rng: random.Random):
    """A request with only `field` set to a random value, so each field's own checks are reached."""
    message = message_class()
    _set_random(message, field, rng, 0)
    return message


def _random_message(descriptor, message_class, rng: random.Random, depth: int = 0):
    message = message_class()
    for field in descriptor.fields:
        if rng.random() >= 0.4:
            _set_random(message, field, rng, depth)
    return message


def _set_random(message, field, rng: random.Random, depth: int) -> None:
    if field.message_type is not None:
        if depth >= 3 or field.message_type.GetOptions().map_entry:
            return
        for _ in range(rng.randint(0, 3) if field.is_repeated else 1):
            target = getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
            _fill(target, rng, depth + 1)
        return
    values = [_random_scalar(field, rng) for _ in range(rng.randint(0, 4) if field.is_repeated else 1)]
    if field.is_repeated:
        getattr(message, field.name).extend(values)
    else:
        setattr(message, field.name, values[0])


def _fill(target, rng: random.Random, depth: int) -> None:
    name = target.DESCRIPTOR.full_name
    if name == "google.protobuf.Struct":  # free-form game state: hostile keys and values
        target.update({rng.choice(STRINGS): rng.choice([*STRINGS, *FLOATS, True, None])
                       for _ in range(rng.randint(1, 4))})
        return
    if name.startswith("google.protobuf."):
        return  # Timestamp and the like: left empty
    target.MergeFrom(_random_message(target.DESCRIPTOR, type(target), rng, depth))


def _random_scalar(field, rng: random.Random):
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return rng.choice(STRINGS)
    if kind == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.choice([0, 3, 64]))
    if kind == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return rng.choice(FLOATS)
    if kind == FieldDescriptor.TYPE_ENUM:
        return rng.choice([*(v.number for v in field.enum_type.values), 99])
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return rng.choice(UNSIGNED)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return rng.choice([*UNSIGNED, 2**64 - 1])
    if kind in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64):
        return rng.choice([*INTS, 2**63 - 1, -2**63])
    return rng.choice(INTS)
