"""A live server on tiny models with its HTTP listener, and headless Chromium on the studio it serves."""

from __future__ import annotations

import re
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness import KEYS, REPO, SERVICES, ServerProcess, free_port

ARTIFACTS = REPO / "test-artifacts" / "studio"
CHROMIUM = "/usr/bin/chromium"
# Small enough that the oversized-upload test needs only a small file.
MAX_MESSAGE_BYTES = 1024 * 1024


@pytest.fixture(scope="session")
def studio_server(tiny_models, tmp_path_factory):
    """`worldsmith serve` on tiny models with the HTTP listener; yields the studio's URL."""
    assert (REPO / "studio" / "dist" / "index.html").is_file(), "the studio is not built: run `make studio`"
    http_port = free_port()
    server = ServerProcess(
        ["--config", str(tiny_models / "worldsmith.toml"), "--http-port", str(http_port),
         "--data-dir", str(tmp_path_factory.mktemp("studio-data"))],
        env={"WORLDSMITH_SERVER__MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES)},
    ).start(timeout=300)
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 120
        serving = health_pb2.HealthCheckResponse.SERVING
        while any(health.Check(health_pb2.HealthCheckRequest(service=name)).status != serving for name in SERVICES):
            assert time.monotonic() < deadline, "the tiny models did not load in time"
            time.sleep(0.5)
    server.url = f"http://127.0.0.1:{http_port}/studio/"
    yield server
    server.kill()


# Module scope: the sync API holds an event loop on this thread while open, which the asyncio tests after it need.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: run `make tools`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--use-gl=swiftshader", "--enable-unsafe-swiftshader"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, studio_server, request):
    """A fresh tab on the studio; fails the test on any console error; leaves a screenshot in test-artifacts/studio."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / (re.sub(r"\W+", "_", request.node.name) + ".png"), full_page=True)
    context.close()


def open_studio(page, url: str, key: str = KEYS["editor"], where: str = "characters") -> None:
    """Loads the studio and types the key into its dialog."""
    page.goto(f"{url}#{where}")
    page.locator("#key-input").fill(key)
    page.locator("#key-form button").click()
