"""Content-addressed file store: bytes by hex key under <data_dir>/cache/<kind>/, written atomically."""

from __future__ import annotations

import re
from pathlib import Path

from worldsmith.store.files import write_atomic

KEY = re.compile(r"[0-9a-f]{16,128}")


class ContentCache:
    """One kind of artefact (textures, scenes, builds...) stored by the hash of its recipe.

    A reader sees a whole file or none: writes go to a temporary file in the same folder,
    are flushed to disk, then renamed over the final name (atomic on POSIX and Windows).
    """

    def __init__(self, data_dir: str | Path, kind: str):
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
            raise ValueError(f"cache kind {kind!r} must be a lower-case name, e.g. 'textures'")
        self.root = Path(data_dir) / "cache" / kind

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"cache key {key!r} must be 16 to 128 lower-case hex digits, e.g. a sha256 hexdigest")
        # Two-character shards keep folders small when there are many entries.
        return self.root / key[:2] / key

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def __contains__(self, key: str) -> bool:
        return self.path(key).is_file()

    def put(self, key: str, data: bytes) -> Path:
        target = self.path(key)
        write_atomic(target, data)
        return target
