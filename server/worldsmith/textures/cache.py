"""The texture cache: each variation by its recipe's content hash, in the shared content store."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import DecodeError

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.store.content_cache import ContentCache

KIND = "textures"


class TextureCache:
    """Variations are stored one by one under `Recipe.content_hash`, so a request is answered
    from the cache when every variation it asks for was made before, by any earlier request."""

    def __init__(self, data_dir: str | Path):
        self.store = ContentCache(data_dir, KIND)

    def get(self, content_hashes: list[str]) -> texture_pb2.TextureResult | None:
        """The cached result with these variations in order, or None if any is missing."""
        result = texture_pb2.TextureResult(cached=True)
        for content_hash in content_hashes:
            data = self.store.get(content_hash)
            if data is None:
                return None
            try:
                result.variations.add().ParseFromString(data)
            except DecodeError:
                return None  # a damaged entry is a miss; the next put replaces it
        return result

    def put(self, result: texture_pb2.TextureResult) -> None:
        for variation in result.variations:
            self.store.put(variation.recipe.content_hash, variation.SerializeToString(deterministic=True))
