"""Tiny randomly initialised models, written offline through save_pretrained, plus a config serving them."""

from __future__ import annotations

import secrets
from pathlib import Path

CONFIG_TEMPLATE = """\
# A deployment on tiny random models: every service serves, nothing is downloaded.
# worldsmith serve --config {config}

[server]
data_dir = "{data_dir}"

[[auth.keys]]
name = "tiny-admin"
key = "{admin_key}"
scopes = ["admin"]

[[auth.keys]]
name = "tiny-runtime"
key = "{runtime_key}"
scopes = ["runtime"]

[models.dialogue]
kind = "text-generator"
source = "text"

[models.textures]
kind = "diffusion"
source = "diffusion"

[models.embedder]
kind = "embedder"
source = "embedder"

# The speech engine's default voice is already small (8 MB) and ships in its package.
[models.speech]
kind = "speech"
source = "package:hibari"

[dialogue]
model = "dialogue"
embedder = "embedder"

[speech]
model = "speech"

[textures]
models = ["textures"]

[scenes]
planner_model = "dialogue"

[avatars]
parser_model = "dialogue"
"""

KINDS = ("text", "diffusion", "embedder")


def make_all(directory: Path, kinds: tuple[str, ...] = KINDS) -> Path:
    """Write each tiny model into DIRECTORY/<kind> and DIRECTORY/worldsmith.toml; return the config path."""
    import importlib

    directory.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        importlib.import_module(f"worldsmith.runtime.tiny.{kind}").make(directory / kind)
    config = directory / "worldsmith.toml"
    config.write_text(CONFIG_TEMPLATE.format(
        config=config, data_dir=(directory / "var").resolve(),
        admin_key=secrets.token_urlsafe(18), runtime_key=secrets.token_urlsafe(18),
    ))
    return config
