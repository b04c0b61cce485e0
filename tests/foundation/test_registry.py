"""Model residency: a model that fails to load takes down only its services; load and unload at run time."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness import auth, channel_to, running, settings_for
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc


@pytest.fixture(scope="module")
async def broken_dialogue(tmp_path_factory):
    """A server whose dialogue model points at a folder that holds no model."""
    data_dir = tmp_path_factory.mktemp("broken")
    missing = data_dir / "no-such-model"
    settings = settings_for(
        data_dir,
        models={"dialogue": {"kind": "text-generator", "source": str(missing)}},
        dialogue={"model": "dialogue"},
    )
    async with running(settings) as server:
        yield server


async def test_a_failed_model_marks_its_service_not_serving_with_the_reason(broken_dialogue):
    async with channel_to(broken_dialogue) as channel:
        info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth())
        health = health_pb2_grpc.HealthStub(channel)
        dialogue = await health.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.DialogueService"))
        admin = await health.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.AdminService"))
    model = {m.name: m for m in info.models}["dialogue"]
    assert model.state == admin_pb2.MODEL_STATE_FAILED
    assert "no-such-model" in model.error
    service = {s.name: s for s in info.services}["worldsmith.v1.DialogueService"]
    assert service.status == admin_pb2.SERVING_STATUS_NOT_SERVING
    assert "failed to load" in service.reason
    assert dialogue.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert admin.status == health_pb2.HealthCheckResponse.SERVING


async def test_unload_and_reload_report_the_state(broken_dialogue):
    async with channel_to(broken_dialogue) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        unloaded = await stub.UnloadModel(admin_pb2.UnloadModelRequest(name="dialogue"), metadata=auth())
        assert unloaded.model.state == admin_pb2.MODEL_STATE_UNLOADED
        reloaded = await stub.LoadModel(admin_pb2.LoadModelRequest(name="dialogue"), metadata=auth())
        assert reloaded.model.state == admin_pb2.MODEL_STATE_FAILED
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.LoadModel(admin_pb2.LoadModelRequest(name="dialogue"), metadata=auth("editor"))
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
