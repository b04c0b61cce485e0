"""Model sources of the form `package:NAME`: models that an installed Python package ships."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

PREFIX = "package:"


def is_package_source(source: str) -> bool:
    return source.startswith(PREFIX)


def import_package(source: str) -> ModuleType:
    name = source.removeprefix(PREFIX)
    try:
        return importlib.import_module(name)
    except ImportError:
        raise FileNotFoundError(f"{source}: no installed package {name!r} (install it, e.g. "
                                f"`pip install {name.replace('_', '-')}`)") from None


def model_folder(source: str, marker: str) -> Path:
    """The folder inside the package that holds `marker` (e.g. "modules.json" of a sentence-transformers model)."""
    package = import_package(source)
    found = sorted(Path(package.__file__).parent.rglob(marker))
    if not found:
        raise FileNotFoundError(f"{source}: the package ships no {marker}, so it holds no model of this kind")
    return found[0].parent
