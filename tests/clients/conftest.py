"""The live servers the client tests talk to: the conformance stack (gRPC port plus the HTTP/1.1 listener), and a
speaking stack on tiny models with hibari's voice for the engines' voice components."""

from __future__ import annotations

import pytest

from tests.clients.stepping_scenes import SteppingSceneService
from harness import free_port, running, settings_for
from worldsmith.api.domains import SCENES
from worldsmith.api.server import WorldsmithServer
from worldsmith.config import load_settings

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


@pytest.fixture(scope="module")
async def speaking_stack(tiny_models, tmp_path_factory):
    """(server, an admin key) on the tiny models with hibari's packaged voice as the speech model."""
    settings = load_settings(tiny_models / "worldsmith.toml", server__port=0, server__http_port=free_port(),
                             server__data_dir=tmp_path_factory.mktemp("voice"))
    key = next(k.key for k in settings.auth.keys if "admin" in k.scopes)
    async with running(settings) as server:
        yield server, key
