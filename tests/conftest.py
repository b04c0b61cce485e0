"""Shared fixtures: the real server on a loopback port, keys for each scope, and tiny models."""

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
import pytest

from worldsmith.api.server import WorldsmithServer
from worldsmith.config import Settings

REPO = Path(__file__).resolve().parent.parent
TOOLS_BIN = REPO / ".tools" / "node_modules" / ".bin"

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


@pytest.fixture(scope="session")
async def server(tmp_path_factory):
    """A server on embedded defaults (no models): procedural backends, neural services NOT_SERVING."""
    async with running(settings_for(tmp_path_factory.mktemp("server"))) as running_server:
        yield running_server


@pytest.fixture
async def channel(server):
    async with channel_to(server) as channel:
        yield channel


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """Tiny random models written once per test session; returns the folder with worldsmith.toml."""
    from worldsmith.runtime.tiny import make_all

    directory = tmp_path_factory.mktemp("tiny")
    make_all(directory)
    return directory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`worldsmith serve` in a child process, for restarts, signals and kills."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.port = free_port()
        self.args = args
        self.env = {**os.environ, "WORLDSMITH_API_KEYS": ",".join(f"{s}:{k}" for s, k in KEYS.items()), **(env or {})}
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
