"""Seam score: how much the wrapped edge of an image differs from its interior, per axis."""

from __future__ import annotations

import numpy as np

# Sizes are multiples of 8, and latent diffusion decoders paint on an 8-pixel grid whose cell
# boundaries differ more than the pixels inside a cell. The wrapped edge is always such a
# boundary, so the texture-wide reference uses the interior boundaries of that grid.
GRID = 8


def seam_score(image: np.ndarray) -> tuple[float, float]:
    """(x, y) for a grey (H, W) or planar (C, H, W) image: about 1 where it tiles, several at a seam.

    The mean absolute difference across the wrapped edge is divided by the larger of two
    references: the same difference one pixel inside the edge on either side (what the
    structure right there looks like, so a vein or ripple crossing the edge is not a seam),
    and across the interior grid lines (what the texture looks like as a whole). A true seam
    exceeds both.
    """
    pixels = image.reshape(-1, image.shape[-2], image.shape[-1]).astype(np.float32, copy=False)
    return _axis_score(pixels, axis=2), _axis_score(pixels, axis=1)


def _axis_score(pixels: np.ndarray, axis: int) -> float:
    size = pixels.shape[axis]

    def across(after: np.ndarray) -> float:
        """Mean |pixel - the pixel before it| over the lines `after` (index -1 wraps)."""
        return float(np.abs(pixels.take(after, axis) - pixels.take(after - 1, axis)).mean())

    edge = across(np.array([0]))
    local = (across(np.array([1])) + across(np.array([size - 1]))) / 2
    grid = across(np.arange(GRID, size, GRID))
    reference = max(local, grid)
    if reference < 1e-6:
        return 1.0 if edge < 1e-6 else float("inf")
    return edge / reference
