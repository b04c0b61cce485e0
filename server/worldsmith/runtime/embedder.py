"""Sentence embedder engine: texts in, unit-length vectors out (sentence-transformers), batched across callers.

    embedder = embedder.load("sentence-transformers/all-MiniLM-L6-v2", "main", "cpu", torch.float32, LaneLimits())
    embedder.warmup()
    vectors = embedder.encode(["a text", "another"])          # sync, for indexing: float32 [n, dim], unit rows
    await embedder.start()
    vectors = await embedder.embed(["a query"], ctx)          # through the lanes; concurrent calls share a batch

Rows are L2-normalised, so `vectors @ query` is the cosine similarity.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from worldsmith.errors import InvalidArgument
from worldsmith.runtime import packages
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import Engine, Job, LaneLimits


class EmbedCalls:
    """`embed` for any engine whose job is a list of texts and ends with their vectors: the local Embedder, or a
    Ray replica's stand-in."""

    async def embed(self, texts: list[str], ctx: CallContext | None = None) -> np.ndarray:
        """`encode` through the engine's lanes, sharing a batch with other callers."""
        if any(not isinstance(text, str) for text in texts):
            raise InvalidArgument("texts", "must be strings")
        result = None
        async for event in self.submit(list(texts), ctx or CallContext()).events():
            if isinstance(event, np.ndarray):
                result = event
        return result


class Embedder(EmbedCalls, Engine):
    """One resident SentenceTransformer; jobs waiting together are encoded in one call."""

    name = "embedder"
    max_batch_size = 32  # jobs per encode call
    batch_window_s = 0.002  # a short wait lets concurrent lore look-ups share a forward pass

    def __init__(self, model: SentenceTransformer, model_id: str, revision: str, limits: LaneLimits | None = None):
        super().__init__("embedder", limits)
        self.model = model
        self.model_id = model_id
        self.revision = revision
        self.dimension = model.get_embedding_dimension()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text (runs in the calling thread)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with torch.inference_mode():
            vectors = self.model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return vectors.astype(np.float32, copy=False)

    def warmup(self) -> None:
        self.encode(["warm-up sentence"])

    def memory_bytes(self) -> int:
        tensors = itertools.chain(self.model.parameters(), self.model.buffers())
        return sum(tensor.numel() * tensor.element_size() for tensor in tensors)

    def batch_key(self, payload: list[str]) -> str:
        return "texts"

    def run_batch(self, jobs: list[Job]) -> None:
        live = [job for job in jobs if not job.ctx.should_stop()]
        vectors = self.encode([text for job in live for text in job.payload])
        offsets = np.cumsum([0] + [len(job.payload) for job in live])
        for job, start, end in zip(live, offsets[:-1], offsets[1:]):
            job.finish(vectors[start:end])


def load(source: str, revision: str = "main", device: str = "cpu", dtype: torch.dtype = torch.float32,
         limits: LaneLimits | None = None) -> Embedder:
    """Load a sentence-transformers model (Hugging Face id, local directory, or `package:NAME`) onto `device`."""
    if packages.is_package_source(source):
        source = str(packages.model_folder(source, "modules.json"))
    model = SentenceTransformer(source, revision=revision, device=device, model_kwargs={"dtype": dtype})
    model.eval()
    model_id = Path(source).name if Path(source).exists() else source
    return Embedder(model, model_id, revision, limits)
