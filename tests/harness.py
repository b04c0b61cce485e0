"""Test harness: settings for a loopback server, keys per scope, in-process and child-process servers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from google.rpc import error_details_pb2, status_pb2

from worldsmith.api.server import WorldsmithServer
from worldsmith.config import Settings

REPO = Path(__file__).resolve().parent.parent
TOOLS_BIN = REPO / ".tools" / "node_modules" / ".bin"

SERVICES = {
    "worldsmith.v1.DialogueService", "worldsmith.v1.TextureService", "worldsmith.v1.SceneService",
    "worldsmith.v1.AvatarService", "worldsmith.v1.SpeechService", "worldsmith.v1.AdminService",
}

KEYS = {
    "runtime": "test-runtime-key-0001",
    "editor": "test-editor-key-0002",
    "admin": "test-admin-key-0003",
}


def settings_for(data_dir: Path, **sections) -> Settings:
    """Settings for a test server: loopback, any free port, one key per scope."""
    data = {
        "server": {"host": "127.0.0.1", "port": 0, "data_dir": str(data_dir), "grace_period_s": 2},
        "auth": {"keys": [{"name": scope, "key": key, "scopes": [scope]} for scope, key in KEYS.items()]},
    }
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return Settings(**data)


def auth(scope: str = "admin") -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {KEYS[scope]}"),)


@contextlib.asynccontextmanager
async def running(settings: Settings):
    """An in-process server for the duration of the block."""
    server = WorldsmithServer(settings)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace=0.5)


# Results (terrain heightmaps, texture sets, avatar LODs) exceed grpc's default 4 MB receive limit.
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


@contextlib.asynccontextmanager
async def channel_to(server: WorldsmithServer):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}", options=CHANNEL_OPTIONS) as channel:
        yield channel


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MODEL_FREE_CONFIG = Path(__file__).parent / "model_free.toml"


class ServerProcess:
    """`worldsmith serve` in a child process, for restarts, signals and kills."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.port = free_port()
        self.args = args
        # A variable set to None in `env` is removed (e.g. WORLDSMITH_CONFIG, to serve the embedded defaults).
        merged = {**os.environ, "WORLDSMITH_API_KEYS": ",".join(f"{s}:{k}" for s, k in KEYS.items()),
                  "WORLDSMITH_CONFIG": str(MODEL_FREE_CONFIG), **(env or {})}
        self.env = {key: value for key, value in merged.items() if value is not None}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> "ServerProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "worldsmith.cli", "serve", "--port", str(self.port), *self.args],
            env={**self.env, "PYTHONPATH": str(REPO / "server")}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            from grpc_health.v1 import health_pb2, health_pb2_grpc

            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.process.stdout.read()}")
                try:
                    stub.Check(health_pb2.HealthCheckRequest(service="worldsmith.v1.AdminService"), timeout=1)
                    return self
                except grpc.RpcError:
                    time.sleep(0.2)
        self.kill()
        raise TimeoutError("server did not start in time")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30) -> tuple[int, str]:
        output, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, output

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError(f"no google.rpc.Status details in {error}")


def bad_request_fields(error: grpc.aio.AioRpcError) -> list[str]:
    fields = []
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [violation.field for violation in bad.field_violations]
    return fields
