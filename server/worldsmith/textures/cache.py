"""The texture cache: whole TextureResults by the hash of their recipes, in the shared content store."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import DecodeError

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.assets.cache import ContentCache

KIND = "textures"


class TextureCache:
    def __init__(self, data_dir: str | Path):
        self.store = ContentCache(data_dir, KIND)

    def get(self, key: str) -> texture_pb2.TextureResult | None:
        data = self.store.get(key)
        if data is None:
            return None
        result = texture_pb2.TextureResult()
        try:
            result.ParseFromString(data)
        except DecodeError:
            return None  # a damaged entry is a miss; the next put replaces it
        return result

    def put(self, key: str, result: texture_pb2.TextureResult) -> None:
        self.store.put(key, result.SerializeToString(deterministic=True))
