"""Fixtures for dialogue tests: the tiny random chat model behind a real text generator, a fresh
store per test, and the DialogueService over both."""

from __future__ import annotations

import pytest

from worldsmith.config import DialogueConfig
from worldsmith.dialogue.service import DialogueService
from worldsmith.errors import Unavailable
from worldsmith.runtime.text_generator import load
from worldsmith.runtime.tiny import text as tiny_text
from worldsmith.store import Store


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return tiny_text.make(tmp_path_factory.mktemp("tiny-text"))


@pytest.fixture(scope="session")
async def generator(tiny_model_dir):
    engine = load(str(tiny_model_dir), max_batch_size=16)
    engine.warmup()
    await engine.start()
    yield engine
    await engine.stop()


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def settings() -> DialogueConfig:
    return DialogueConfig(max_new_tokens=24, max_utterance_chars=400)


@pytest.fixture
def service(settings, store, generator) -> DialogueService:
    return DialogueService(settings, store, lambda: generator)


@pytest.fixture
def offline_service(settings, store) -> DialogueService:
    """No text model loaded: CRUD works, turns are UNAVAILABLE."""

    def missing():
        raise Unavailable("dialogue.model is not set, so no text generator is loaded")

    return DialogueService(settings, store, missing)
