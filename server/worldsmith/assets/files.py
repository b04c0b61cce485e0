"""Paths a build may touch: only inside the project folder, whatever a manifest or lock file names."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


class UnsafePath(ValueError):
    """A path that is not a plain relative path inside the project folder; the message says why."""


def inside_project(root: Path, relative: object) -> Path:
    """`relative` resolved under `root`, or UnsafePath: not a string, NUL, absolute, '..', or a link leading out."""
    if not isinstance(relative, str) or not relative.strip():
        raise UnsafePath("is not a path; give a folder relative to the project folder, e.g. \"Assets/Textures\"")
    if "\x00" in relative:
        raise UnsafePath("contains a NUL character; remove it")
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).anchor:
        raise UnsafePath(f"is absolute and escapes the project folder {root}; give a path relative to it")
    if ".." in PurePosixPath(relative.replace("\\", "/")).parts:
        raise UnsafePath(f"uses '..' and escapes the project folder {root}; give a path inside it")
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UnsafePath(f"leads through a symbolic link and escapes the project folder {root}")
    return resolved
