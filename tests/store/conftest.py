"""Fixtures: a PostgreSQL server for the session, and a store on each backend."""

from __future__ import annotations

import pytest

from postgres import postgres  # noqa: F401  (the session's PostgreSQL server)
from worldsmith.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request, tmp_path) -> str:
    """The store.url of a fresh database on each backend ("" is the SQLite file in the data directory)."""
    return request.getfixturevalue("postgres").new_database() if request.param == "postgresql" else ""


@pytest.fixture
def any_store(backend_url, tmp_path):
    store = Store.open(tmp_path, backend_url)
    yield store
    store.close()
