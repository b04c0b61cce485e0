"""Fixtures: a tiny Stable Diffusion pipeline written once per session, engines, a service per test."""

from __future__ import annotations

import pytest
import torch

from worldsmith.config import TexturesConfig
from worldsmith.runtime import diffusion
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.tiny.diffusion import make
from worldsmith.textures.service import TextureService

from texture_helpers import TINY, folder_cache

@pytest.fixture(scope="session")
def tiny_sd_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("models") / TINY
    make(directory)
    return directory


@pytest.fixture(scope="session")
async def diffusion_engine(tiny_sd_dir):
    engine = diffusion.load(str(tiny_sd_dir), "main", "cpu", torch.float32)
    engine.warmup()
    await engine.start()
    yield engine
    await engine.stop()


@pytest.fixture(scope="session")
async def cpu_engine():
    engine = FunctionEngine()
    await engine.start()
    yield engine
    await engine.stop()


@pytest.fixture
def settings():
    return TexturesConfig(models=[TINY], max_size=1024, max_steps=50, max_variations=4, max_batch_size=4)


@pytest.fixture
def service(settings, diffusion_engine, cpu_engine, tmp_path):
    return TextureService(settings, {TINY: lambda: diffusion_engine}, cpu_engine, folder_cache(tmp_path / "data"))

