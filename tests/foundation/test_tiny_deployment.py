"""`worldsmith models make-tiny` then `serve --config`: a whole deployment on tiny random models."""

from __future__ import annotations

import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness import CHANNEL_OPTIONS, KEYS, REPO, ServerProcess
from harness import SERVICES
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, texture_pb2, texture_pb2_grpc
from worldsmith.runtime import devices


@pytest.fixture(scope="module")
def deployment(tiny_models):
    server = ServerProcess(["--config", str(tiny_models / "worldsmith.toml")]).start(timeout=300)
    yield server
    server.kill()


def serving(health, name: str) -> bool:
    return health.Check(health_pb2.HealthCheckRequest(service=name)).status == health_pb2.HealthCheckResponse.SERVING


def test_every_service_serves_on_tiny_models(deployment):
    key = (("authorization", f"Bearer {KEYS['admin']}"),)
    with grpc.insecure_channel(f"127.0.0.1:{deployment.port}", options=CHANNEL_OPTIONS) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        # The port opens before the models finish loading; health says when each service is ready.
        deadline = time.monotonic() + 120
        while not all(serving(health, name) for name in SERVICES) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert [name for name in sorted(SERVICES) if not serving(health, name)] == []
        info = admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=key)
        assert {model.name: model.state for model in info.models} == {
            "dialogue": admin_pb2.MODEL_STATE_READY, "textures": admin_pb2.MODEL_STATE_READY, "embedder": admin_pb2.MODEL_STATE_READY,
            "speech": admin_pb2.MODEL_STATE_READY}
        assert all(model.device == "cpu" and model.memory_bytes > 0 for model in info.models)
        # The text generator runs in bf16 where the CPU computes it natively; the others stay fp32 but the voice,
        # whose weights its package ships in int8.
        text_dtype = "bfloat16" if devices.cpu_has_native_bf16() else "float32"
        assert {model.name: model.dtype for model in info.models} == {
            "dialogue": text_dtype, "textures": "float32", "embedder": "float32", "speech": "int8"}
        events = [response.WhichOneof("event") for response in texture_pb2_grpc.TextureServiceStub(channel).GenerateTexture(
            texture_pb2.GenerateTextureRequest(prompt="moss", width=64, height=64, steps=4, seed=3), metadata=key)]
    assert events[0] == "queued" and "progress" in events and events[-1] == "result"


def test_models_list_finds_the_tiny_models(tiny_models):
    shown = subprocess.run([sys.executable, "-m", "worldsmith.cli", "models", "list", "--config", str(tiny_models / "worldsmith.toml")],
                           capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(REPO / "server"), "PATH": "", "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    for name in ("dialogue", "textures", "embedder"):
        assert name in shown.stdout
    assert shown.stdout.count("yes (folder)") == 3
