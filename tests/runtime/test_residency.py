"""How models are kept resident: the dtype each kind gets on the CPU, and loaded models kept out of the collector."""

from __future__ import annotations

import gc
import time

import pytest
import torch

from worldsmith.config import ModelConfig
from worldsmith.runtime import devices
from worldsmith.runtime.engine import LaneLimits
from worldsmith.runtime.registry import ModelRegistry


@pytest.mark.parametrize("native_bf16", [True, False])
def test_text_generators_get_bf16_on_the_cpu_only_where_it_is_native(monkeypatch, native_bf16):
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: native_bf16)
    expected = torch.bfloat16 if native_bf16 else torch.float32
    assert devices.pick_dtype("cpu", "auto", "text-generator") == expected
    assert devices.pick_dtype("cpu", "auto", "diffusion") == torch.float32
    assert devices.pick_dtype("cpu", "auto", "embedder") == torch.float32
    assert devices.pick_dtype("cpu", "float32", "text-generator") == torch.float32  # an explicit dtype wins


async def test_a_loaded_model_is_out_of_the_collectors_reach_until_unloaded(tiny_models):
    registry = ModelRegistry({"dialogue": ModelConfig(kind="text-generator", source=str(tiny_models / "text"))},
                             LaneLimits())
    try:
        await registry.load_all()
        assert gc.get_freeze_count() > 0
        started = time.perf_counter()
        gc.collect()
        # A full collection walks only what was made since the load: unfrozen, torch, transformers and the model
        # take about 360 ms, a pause of every token stream.
        assert time.perf_counter() - started < 0.15

        await registry.unload("dialogue")
        assert gc.get_freeze_count() > 0  # thawed to collect the model's cycles, then frozen again
    finally:
        await registry.close()
    assert gc.get_freeze_count() == 0
