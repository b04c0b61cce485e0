"""Shared fixtures: the real server on a loopback port and tiny models written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import channel_to, running, settings_for


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
