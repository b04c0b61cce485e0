"""Settings for a front in the two-front tests."""

from __future__ import annotations

from harness import settings_for


def front_settings(data_dir, store_url: str, model_dir):
    """A front: the tiny chat model for dialogue, procedural textures, the shared database."""
    return settings_for(
        data_dir,
        models={"dialogue": {"kind": "text-generator", "source": str(model_dir)}},
        dialogue={"model": "dialogue", "max_new_tokens": 16, "max_utterance_chars": 400},
        store={"url": store_url},
    )
