"""Scenes: rooms, dungeons and terrain as engine-neutral scene graphs, valid by construction."""

from worldsmith.scenes.pipeline import generate

__all__ = ["generate"]
