"""Fixtures for two fronts on one PostgreSQL: the database, the tiny chat model, and two in-process servers."""

from __future__ import annotations

import pytest

from harness import running
from postgres import postgres  # noqa: F401  (the session's PostgreSQL server)
from worldsmith.runtime.tiny import text as tiny_text

from .fronts import front_settings


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory):
    return tiny_text.make(tmp_path_factory.mktemp("tiny-text"))


@pytest.fixture
async def two_fronts(postgres, tiny_text_model, tmp_path):
    """Two servers on two ports sharing one database and one data folder (the asset cache)."""
    url = postgres.new_database()
    async with running(front_settings(tmp_path / "shared", url, tiny_text_model)) as first:
        async with running(front_settings(tmp_path / "shared", url, tiny_text_model)) as second:
            yield first, second
