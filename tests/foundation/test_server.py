"""The server over the wire: reflection, health, server info, auth, bad input."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from harness import SERVICES, auth, bad_request_fields
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, texture_pb2

async def test_reflection_lists_every_service_without_a_key(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    async for response in call:
        names = {service.name for service in response.list_services_response.service}
        break
    assert SERVICES <= names
    assert "grpc.health.v1.Health" in names


async def test_health_answers_per_service(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    admin = await stub.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.AdminService"))
    dialogue = await stub.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.DialogueService"))
    assert admin.status == health_pb2.HealthCheckResponse.SERVING
    # No text model is configured on embedded defaults.
    assert dialogue.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_server_info_names_the_reason_a_service_is_not_serving(channel):
    info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth("admin"))
    services = {service.name: service for service in info.services}
    assert set(services) == SERVICES
    assert services["worldsmith.v1.DialogueService"].status == admin_pb2.SERVING_STATUS_NOT_SERVING
    assert "[dialogue] model" in services["worldsmith.v1.DialogueService"].reason
    assert services["worldsmith.v1.AdminService"].status == admin_pb2.SERVING_STATUS_SERVING
    assert info.auth_enabled
    assert info.version


async def test_a_call_without_a_key_is_refused(channel):
    stub = admin_pb2_grpc.AdminServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetServerInfo(admin_pb2.GetServerInfoRequest())
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=(("authorization", "Bearer not-a-key"),))
    assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_key_without_the_scope_is_refused(channel):
    stub = admin_pb2_grpc.AdminServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth("runtime"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "editor" in error.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.ListModels(admin_pb2.ListModelsRequest(), metadata=auth("editor"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "admin" in error.value.details()


async def test_a_malformed_request_is_invalid_argument_not_internal(channel):
    raw = channel.unary_unary("/worldsmith.v1.AdminService/LoadModel")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await raw(b"\xff\xff\xff\xff", metadata=auth("admin"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(error.value) == ["request"]


async def test_an_empty_required_field_names_the_field(channel):
    stub = admin_pb2_grpc.AdminServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.LoadModel(admin_pb2.LoadModelRequest(), metadata=auth("admin"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(error.value) == ["name"]


async def test_an_unknown_model_is_not_found(channel):
    stub = admin_pb2_grpc.AdminServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.LoadModel(admin_pb2.LoadModelRequest(name="nope"), metadata=auth("admin"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_oversized_message_is_refused_and_the_server_keeps_serving(channel, server):
    raw = channel.unary_unary("/worldsmith.v1.AdminService/LoadModel")
    huge = admin_pb2.LoadModelRequest(name="x" * (server.settings.server.max_message_bytes + 10)).SerializeToString()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await raw(huge, metadata=auth("admin"))
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth("admin"))
    assert info.version


async def test_a_generic_reflection_client_lists_and_calls_the_server(server):
    """buf curl knows nothing of worldsmith: everything it needs comes from reflection."""
    import asyncio
    import json

    from harness import KEYS, TOOLS_BIN

    async def buf_curl(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            str(TOOLS_BIN / "buf"), "curl", "--protocol", "grpc", "--http2-prior-knowledge", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        return out.decode()

    base = f"http://127.0.0.1:{server.port}"
    listed = set((await buf_curl("--list-services", base)).split())
    assert SERVICES <= listed
    info = json.loads(await buf_curl("-H", f"authorization: Bearer {KEYS['admin']}", f"{base}/worldsmith.v1.AdminService/GetServerInfo"))
    assert {service["name"] for service in info["services"]} == SERVICES


async def test_an_unknown_enum_value_names_the_field_before_any_work(channel, server):
    from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc

    request = texture_pb2.GenerateTextureRequest(prompt="moss", width=64, height=64, tiling=99, maps=[texture_pb2.TEXTURE_MAP_ALBEDO, 42])
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for _ in texture_pb2_grpc.TextureServiceStub(channel).GenerateTexture(request, metadata=auth("editor")):
            pass
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(error.value) == ["tiling", "maps[1]"]
    assert server.core.cpu_engine.queued() == 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
async def test_a_number_that_is_not_finite_names_the_field_before_any_work(channel, server, bad):
    """NaN or an infinity anywhere (a float field, a value inside a Struct) is INVALID_ARGUMENT naming it, not the
    INTERNAL the texture presets' JSON conversion once raised."""
    from google.protobuf import struct_pb2

    from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc

    parameters = struct_pb2.Struct()
    parameters.update({"roughness": 0.5})
    parameters.fields["scale"].number_value = bad
    request = texture_pb2.GenerateTextureRequest(prompt="moss", width=64, height=64, preset_parameters=parameters)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for _ in texture_pb2_grpc.TextureServiceStub(channel).GenerateTexture(request, metadata=auth("editor")):
            pass
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(error.value) == ["preset_parameters.fields['scale'].number_value"]
    assert server.core.cpu_engine.queued() == 0


def test_every_non_finite_float_is_named_with_its_path():
    from worldsmith._proto.worldsmith.v1 import avatar_pb2
    from worldsmith.api.validation import field_problems

    request = avatar_pb2.CreateAvatarRequest(parameters=avatar_pb2.AvatarParameters(height_m=float("nan"), build=1.0))
    assert [field for field, _ in field_problems(request)] == ["parameters.height_m"]
    assert field_problems(avatar_pb2.CreateAvatarRequest(parameters=avatar_pb2.AvatarParameters(height_m=1.8))) == []
