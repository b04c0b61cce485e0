"""The texture cache: each variation by its recipe's content hash, in the shared content store, under a size limit."""

from __future__ import annotations

import collections
import contextlib
import threading
from typing import Iterable, Iterator

from google.protobuf.message import DecodeError

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import TexturesConfig
from worldsmith.runtime import metrics
from worldsmith.store.content_cache import ContentStore

KIND = "textures"
DEFAULT_MAX_BYTES = TexturesConfig.model_fields["cache_max_bytes"].default


class TextureCache:
    """Variations are stored one by one under `Recipe.content_hash`, so a request is answered
    from the cache when every variation it asks for was made before, by any earlier request.

    The entries hold at most `max_bytes`: after a write, the least recently used entries (a read
    counts as use) are deleted until they fit; a variation larger than the limit is not stored. An entry being written or read is never deleted
    under its caller; the index starts from the entries already in the store (a folder or a bucket), oldest
    written first.
    """

    def __init__(self, store: ContentStore, max_bytes: int = DEFAULT_MAX_BYTES):
        self.store = store
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: collections.OrderedDict[str, int] = collections.OrderedDict()  # least recently used first
        self._in_use: collections.Counter[str] = collections.Counter()
        self.bytes_held = 0
        with self._lock:
            for entry in store.entries():
                self._record(entry.key, entry.size)
            self._evict()

    def get(self, content_hashes: list[str]) -> texture_pb2.TextureResult | None:
        """The cached result with these variations in order, or None if any is missing."""
        with self._using(content_hashes):
            result = self._read(content_hashes)
        metrics.CACHE_LOOKUPS.labels(KIND, "miss" if result is None else "hit").inc()
        return result

    def put(self, result: texture_pb2.TextureResult) -> None:
        serialised = {variation.recipe.content_hash: variation.SerializeToString(deterministic=True)
                      for variation in result.variations}
        # A variation larger than the whole cache is not kept: it would only push everything else out.
        entries = {content_hash: data for content_hash, data in serialised.items() if len(data) <= self.max_bytes}
        with self._using(entries):
            for content_hash, data in entries.items():
                self.store.put(content_hash, data)
                with self._lock:
                    self._record(content_hash, len(data))

    def _read(self, content_hashes: list[str]) -> texture_pb2.TextureResult | None:
        result = texture_pb2.TextureResult(cached=True)
        for content_hash in content_hashes:
            data = self.store.get(content_hash)
            if data is None:
                return None
            try:
                result.variations.add().ParseFromString(data)
            except DecodeError:
                return None  # a damaged entry is a miss; the next put replaces it
            with self._lock:
                self._record(content_hash, len(data))
        return result

    @contextlib.contextmanager
    def _using(self, content_hashes: Iterable[str]) -> Iterator[None]:
        """Keep these entries from eviction for the block; evict what no longer fits after it."""
        keys = list(content_hashes)
        with self._lock:
            self._in_use.update(keys)
        try:
            yield
        finally:
            with self._lock:
                self._in_use -= collections.Counter(keys)  # keys no one uses any more drop out
                self._evict()

    def _record(self, content_hash: str, size: int) -> None:
        """Note an entry's size and make it the most recently used. Call with the lock held."""
        self.bytes_held += size - self._sizes.pop(content_hash, 0)
        self._sizes[content_hash] = size
        self._publish()

    def _evict(self) -> None:
        """Delete least recently used entries no one is using until the rest fit. Call with the lock held."""
        for content_hash in list(self._sizes):
            if self.bytes_held <= self.max_bytes:
                break
            if self._in_use[content_hash]:
                continue
            self.bytes_held -= self._sizes.pop(content_hash)
            self.store.delete(content_hash)
            metrics.CACHE_EVICTIONS.labels(KIND).inc()
        self._publish()

    def _publish(self) -> None:
        metrics.CACHE_BYTES.labels(KIND).set(self.bytes_held)
        metrics.CACHE_ENTRIES.labels(KIND).set(len(self._sizes))
