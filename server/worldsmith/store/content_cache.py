"""Content-addressed file store: bytes by hex key under <data_dir>/cache/<kind>/, written atomically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple, Protocol

from worldsmith.store.files import write_atomic

KEY = re.compile(r"[0-9a-f]{16,128}")
KIND = re.compile(r"[a-z][a-z0-9_-]*")


class Entry(NamedTuple):
    key: str
    size: int
    modified: float  # seconds since the epoch


class ContentStore(Protocol):
    """What a content-addressed store offers: the folder (ContentCache) or a bucket (ObjectStore)."""

    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, data: bytes) -> object: ...
    def __contains__(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def entries(self) -> list[Entry]: ...


def checked_kind(kind: str) -> str:
    if not KIND.fullmatch(kind):
        raise ValueError(f"cache kind {kind!r} must be a lower-case name, e.g. 'textures'")
    return kind


def checked_key(key: str) -> str:
    if not KEY.fullmatch(key):
        raise ValueError(f"cache key {key!r} must be 16 to 128 lower-case hex digits, e.g. a sha256 hexdigest")
    return key


class ContentCache:
    """One kind of artefact (textures, scenes, builds...) stored by the hash of its recipe.

    A reader sees a whole file or none: writes go to a temporary file in the same folder,
    are flushed to disk, then renamed over the final name (atomic on POSIX and Windows).
    """

    def __init__(self, data_dir: str | Path, kind: str):
        self.root = Path(data_dir) / "cache" / checked_kind(kind)

    def path(self, key: str) -> Path:
        key = checked_key(key)
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

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def entries(self) -> list[Entry]:
        """Every whole entry (not temporary files), oldest written first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*/*"):
            if KEY.fullmatch(path.name) and path.is_file():
                status = path.stat()
                found.append(Entry(path.name, status.st_size, status.st_mtime))
        return sorted(found, key=lambda entry: entry.modified)
