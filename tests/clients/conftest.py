"""The live server every client conformance test talks to: gRPC port plus the HTTP/1.1 listener."""

from __future__ import annotations

import pytest

from tests.clients.stepping_scenes import SteppingSceneService
from harness import free_port, settings_for
from worldsmith.api.domains import SCENES
from worldsmith.api.server import WorldsmithServer

ORIGIN = "https://game.example"


@pytest.fixture(scope="session")
async def stack(tmp_path_factory):
    """The real server with its HTTP/1.1 listener, SceneService served by a stepping service."""
    settings = settings_for(
        tmp_path_factory.mktemp("clients"),
        server={"http_port": free_port(), "cors_origins": [ORIGIN], "max_message_bytes": 64 * 1024},
    )
    server = WorldsmithServer(settings)
    start_services = server.core.start

    async def start_with_scenes(load_models: bool = True) -> None:
        await start_services(load_models)
        server.core.by_name[SCENES.name] = SteppingSceneService(server.core.cpu_engine)

    server.core.start = start_with_scenes
    await server.start()
    yield server
    await server.stop(grace=0.5)


@pytest.fixture
def scenes(stack) -> SteppingSceneService:
    return stack.services[SCENES.name]
