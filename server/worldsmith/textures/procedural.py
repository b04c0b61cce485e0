"""Procedural backend: a preset painted on a periodic canvas, cropped to the requested size."""

from __future__ import annotations

import numpy as np

from worldsmith.textures.canvas import Canvas
from worldsmith.textures.pbr import Surface
from worldsmith.textures.presets import PRESETS

NAME = "procedural"
# Bump when a change to any preset, the noise or the map derivation changes the output bytes.
VERSION = "2"


def render(preset: str, parameters: dict, width: int, height: int, tile_x: bool, tile_y: bool, seed: int) -> Surface:
    """Paint one material. Same arguments, same arrays, on any machine numpy runs on."""
    canvas = Canvas(height=height, width=width, tile_y=tile_y, tile_x=tile_x)
    surface = PRESETS[preset].paint(canvas, parameters, np.random.default_rng(seed))
    return Surface(
        # Painters may overshoot a little where tones and shading multiply; clip once here.
        albedo=np.clip(canvas.crop(surface.albedo), 0.0, 1.0).astype(np.float32),
        height=None if surface.height is None else canvas.crop(surface.height).astype(np.float32),
        roughness=_crop(canvas, surface.roughness),
        metallic=_crop(canvas, surface.metallic),
        bump=surface.bump,
    )


def _crop(canvas: Canvas, value):
    return canvas.crop(value).astype(np.float32) if isinstance(value, np.ndarray) else float(value)
