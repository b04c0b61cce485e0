"""The canvas a procedural material is painted on, and the small colour and shaping helpers presets share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Canvas:
    """Pixels to paint, in tile units.

    A tiled axis spans one tile, so everything periodic over the canvas tiles there. An
    untiled axis spans two tiles and the result keeps the first: geometry may still line up
    across the edge, but everything random (noise, per-brick colours) runs on, so the edge is
    a seam, as a caller asking for no tiling expects.
    """

    height: int
    width: int
    tile_y: bool = True
    tile_x: bool = True

    @property
    def units_y(self) -> int:
        return 1 if self.tile_y else 2

    @property
    def units_x(self) -> int:
        return 1 if self.tile_x else 2

    @property
    def shape(self) -> tuple[int, int]:
        """Pixels of the whole canvas, untiled axes included."""
        return self.height * self.units_y, self.width * self.units_x

    @property
    def aspect(self) -> float:
        """Tile height over width: features keep square pixels on non-square tiles."""
        return self.height / self.width

    def cells(self, across: float) -> tuple[int, int]:
        """Lattice cells over the canvas for `across` cells along the tile's width."""
        columns = max(1, round(across))
        rows = max(1, round(across * self.aspect))
        return rows * self.units_y, columns * self.units_x

    def repeats(self, count: float, axis: int) -> float:
        """How often a layout (courses, tiles, boards) repeats per tile along axis 0 (down) or 1
        (across): `count` where the axis tiles, half a repeat more where it does not, so its
        joints miss each other at the seam as well."""
        return count if self._tiled(axis) else count + 0.5

    def cells_along(self, repeats: float, axis: int) -> int:
        """Distinct layout cells along an axis of the canvas; they wrap around only where it tiles."""
        units = self.units_y if axis == 0 else self.units_x
        return round(repeats * units) if self._tiled(axis) else int(np.ceil(repeats * units)) + 1

    def _tiled(self, axis: int) -> bool:
        return self.tile_y if axis == 0 else self.tile_x

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """(v, u): tile units down and across, shaped (H, 1) and (1, W) for broadcasting."""
        rows, columns = self.shape
        v = (np.arange(rows, dtype=np.float32) / self.height)[:, None]
        u = (np.arange(columns, dtype=np.float32) / self.width)[None, :]
        return v, u

    def crop(self, field: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(field[..., : self.height, : self.width])


def smoothstep(low: float, high: float, x: np.ndarray) -> np.ndarray:
    """0 below `low`, 1 above `high` (or the reverse when high < low), smooth between."""
    t = np.subtract(x, low, dtype=np.float32)
    t *= 1.0 / (high - low)
    np.clip(t, 0.0, 1.0, out=t)
    square = t * t
    t *= -2.0
    t += 3.0
    t *= square
    return t


def colour(value) -> np.ndarray:
    """An RGB triple as a (3, 1, 1) array, ready to broadcast over planar images."""
    return np.asarray(value, np.float32).reshape(3, 1, 1)


def mix(a, b, t: np.ndarray) -> np.ndarray:
    """Blend `a` to `b` by the weight field `t` (H, W). Colours are RGB triples or planar
    (3, H, W) images: planes keep every operation on contiguous memory."""
    a = colour(a) if np.ndim(a) == 1 else a
    b = colour(b) if np.ndim(b) == 1 else b
    return a + (b - a) * t


def shade(rgb, factor: np.ndarray) -> np.ndarray:
    """A colour times a brightness field (H, W): a planar (3, H, W) image."""
    return colour(rgb) * factor


def unit(field: np.ndarray) -> np.ndarray:
    """Rescale to exactly [0, 1]."""
    low, high = float(field.min()), float(field.max())
    return (field - low) / max(high - low, 1e-6)
