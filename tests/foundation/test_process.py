"""The server as a process: start-up refusals, SIGTERM shutdown within the grace period."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import grpc

from harness import CHANNEL_OPTIONS, KEYS, REPO, ServerProcess
from worldsmith._proto.worldsmith.v1 import texture_pb2, texture_pb2_grpc


def test_auth_on_without_keys_refuses_to_start_and_says_how_to_fix_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "worldsmith.cli", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(REPO / "server"), "PATH": ""})
    assert result.returncode == 2
    assert "WORLDSMITH_API_KEYS" in result.stderr


def test_sigterm_stops_the_server_cleanly(tmp_path):
    server = ServerProcess(["--data-dir", str(tmp_path)]).start()
    try:
        server.signal(signal.SIGTERM)
        code, output = server.wait(timeout=30)
    finally:
        server.kill()
    assert code == 0, output
    assert "stopped" in output


def test_sigterm_with_diffusion_in_flight_exits_within_the_grace_period(tiny_models, tmp_path):
    server = ServerProcess(["--config", str(tiny_models / "worldsmith.toml"), "--data-dir", str(tmp_path)],
                           env={"WORLDSMITH_SERVER__GRACE_PERIOD_S": str(GRACE_S)}).start(timeout=300)
    events: list = []
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}", options=CHANNEL_OPTIONS) as channel:
            stub = texture_pb2_grpc.TextureServiceStub(channel)
            _wait_for_model(stub, "textures")  # a model still loading would send the request to the procedural backend
            request = texture_pb2.GenerateTextureRequest(prompt="mossy stone", model="textures", width=1024, height=1024,
                                                         steps=50)
            reader = threading.Thread(target=_read, args=(stub, request, events))
            reader.start()
            deadline = time.monotonic() + 120
            while "progress" not in events and time.monotonic() < deadline and server.process.poll() is None:
                time.sleep(0.05)
            assert "progress" in events, events
            signalled = time.monotonic()
            server.signal(signal.SIGTERM)
            code, output = server.wait(timeout=60)
            took = time.monotonic() - signalled
            reader.join(10)
    finally:
        server.kill()
    assert code == 0, output
    assert took <= GRACE_S + 0.5, f"exited {took:.1f} s after SIGTERM with a {GRACE_S} s grace period"
    assert "Traceback" not in output and "Event loop is closed" not in output, output[-3000:]
    assert events[-1] in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), events[-3:]


GRACE_S = 3
EDITOR = (("authorization", f"Bearer {KEYS['editor']}"),)


def _wait_for_model(stub, name: str) -> None:
    deadline = time.monotonic() + 120
    while name not in stub.ListTextureBackends(texture_pb2.ListTextureBackendsRequest(), metadata=EDITOR, timeout=10).models:
        assert time.monotonic() < deadline, f"diffusion model {name!r} not ready after 120 s"
        time.sleep(0.2)


def _read(stub, request, events: list) -> None:
    try:
        for event in stub.GenerateTexture(request, metadata=EDITOR, timeout=120):
            events.append(event.WhichOneof("event"))
    except grpc.RpcError as error:
        events.append(error.code())
