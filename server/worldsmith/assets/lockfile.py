"""The build lock file: per entry, the recipe hash and the hash of every output file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from worldsmith.assets.files import UnsafePath, inside_project
from worldsmith.store.files import sha256_file, write_atomic

VERSION = 1


@dataclass
class LockedEntry:
    kind: str
    recipe_hash: str
    # Output paths relative to the project folder -> sha256.
    outputs: dict[str, str] = field(default_factory=dict)


def _stays_inside(root: Path, entry: LockedEntry) -> bool:
    if not isinstance(entry.outputs, dict):
        return False
    try:
        for relative in entry.outputs:
            inside_project(root, relative)
    except UnsafePath:
        return False
    return True


def recipe_hash(kind: str, request: dict, backend: dict) -> str:
    """Hash of everything that shapes an entry's output: kind, parameters, models, backend version."""
    canonical = json.dumps({"kind": kind, "request": request, "backend": backend}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class LockFile:
    def __init__(self, path: Path, entries: dict[str, LockedEntry] | None = None):
        self.path = path
        self.entries = entries or {}

    @classmethod
    def read(cls, path: Path) -> "LockFile":
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text())
            if data.get("version") != VERSION:
                return cls(path)  # an older format: everything is rebuilt
            entries = {name: LockedEntry(**entry) for name, entry in data["entries"].items()}
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            return cls(path)  # not a lock this program wrote: everything is rebuilt
        # The lock is untrusted input: an entry naming a file outside the project is dropped (and rebuilt),
        # so a build never deletes or reads what such a lock names.
        return cls(path, {name: entry for name, entry in entries.items() if _stays_inside(path.parent, entry)})

    def write(self) -> None:
        data = {"version": VERSION, "entries": {name: vars(entry) for name, entry in sorted(self.entries.items())}}
        write_atomic(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def problems(self, name: str, expected_hash: str, root: Path) -> list[str]:
        """Why an entry is not up to date (empty: it is)."""
        locked = self.entries.get(name)
        if locked is None:
            return ["not built yet"]
        if locked.recipe_hash != expected_hash:
            return ["recipe changed"]
        problems = []
        for relative, digest in sorted(locked.outputs.items()):
            path = root / relative
            if not path.exists():
                problems.append(f"{relative} is missing")
            elif sha256_file(path) != digest:
                problems.append(f"{relative} differs from the lock")
        return problems
