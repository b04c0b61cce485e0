"""Floor grids: rasterising boxes onto cells, rectangle sums for every anchor at once, walkability."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

# An agent this wide must fit through every walkable passage.
AGENT_RADIUS = 0.25
# Boxes closer than this to a cell edge do not touch the next cell (float32 positions).
EDGE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class FloorGrid:
    """Square cells over the floor: cell (row, col) spans x in [x0 + col*cell, ...), z in [z0 + row*cell, ...)."""

    x0: float
    z0: float
    cell: float
    cols: int
    rows: int

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    def cells_under(self, x_min: float, x_max: float, z_min: float, z_max: float) -> tuple[slice, slice]:
        """Rows and columns of every cell a box's footprint touches (conservative), clipped to the grid."""
        c0 = max(0, math.floor((x_min - self.x0 + EDGE_TOLERANCE) / self.cell))
        c1 = min(self.cols, math.ceil((x_max - self.x0 - EDGE_TOLERANCE) / self.cell))
        r0 = max(0, math.floor((z_min - self.z0 + EDGE_TOLERANCE) / self.cell))
        r1 = min(self.rows, math.ceil((z_max - self.z0 - EDGE_TOLERANCE) / self.cell))
        return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))

    def centre_of(self, row: float, col: float) -> tuple[float, float]:
        """World (x, z) of a cell's centre; fractional rows and columns are fine."""
        return self.x0 + (col + 0.5) * self.cell, self.z0 + (row + 0.5) * self.cell

    def cell_at(self, x: float, z: float) -> tuple[int, int]:
        col = min(self.cols - 1, max(0, int((x - self.x0) / self.cell)))
        row = min(self.rows - 1, max(0, int((z - self.z0) / self.cell)))
        return row, col

    def agent_radius_cells(self) -> int:
        return max(1, round(AGENT_RADIUS / self.cell))


class RectangleSums:
    """Counts of True cells in an h x w rectangle at every anchor of a window, from one integral
    image. Anchors are relative to the window; rectangles may reach `pad` cells past it, and past
    the grid's edge, where cells read as `outside` (a clearance zone leaving the room is blocked)."""

    def __init__(self, mask: np.ndarray, pad: int, outside: bool, window: tuple[int, int, int, int] | None = None):
        r0, r1, c0, c1 = window or (0, mask.shape[0], 0, mask.shape[1])
        # The window and `pad` cells round it; what lies off the grid reads as `outside`.
        padded = np.full((r1 - r0 + 2 * pad, c1 - c0 + 2 * pad), int(outside), np.int32)
        src_r0, src_r1 = max(0, r0 - pad), min(mask.shape[0], r1 + pad)
        src_c0, src_c1 = max(0, c0 - pad), min(mask.shape[1], c1 + pad)
        padded[src_r0 - (r0 - pad):src_r1 - (r0 - pad), src_c0 - (c0 - pad):src_c1 - (c0 - pad)] = mask[src_r0:src_r1, src_c0:src_c1]
        self.integral = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), np.int32)
        np.cumsum(np.cumsum(padded, axis=0), axis=1, out=self.integral[1:, 1:])
        self.pad = pad

    def sums(self, anchors: tuple[int, int], row_offset: int, col_offset: int, h: int, w: int) -> np.ndarray:
        """For every anchor (r, c) with r < anchors[0], c < anchors[1]: the count in rows
        [r + row_offset, + h) and columns [c + col_offset, + w)."""
        n_rows, n_cols = anchors
        r0, c0 = self.pad + row_offset, self.pad + col_offset
        if r0 < 0 or c0 < 0 or h <= 0 or w <= 0:
            raise ValueError("rectangle reaches past the padding")
        s = self.integral
        return (s[r0 + h:r0 + h + n_rows, c0 + w:c0 + w + n_cols] - s[r0:r0 + n_rows, c0 + w:c0 + w + n_cols]
                - s[r0 + h:r0 + h + n_rows, c0:c0 + n_cols] + s[r0:r0 + n_rows, c0:c0 + n_cols])


    def at(self, rows: np.ndarray, cols: np.ndarray, row_offset: int, col_offset: int, h: int, w: int) -> np.ndarray:
        """The same counts at chosen anchors only (cheaper once other rules have ruled most out)."""
        r0, c0 = rows + self.pad + row_offset, cols + self.pad + col_offset
        s = self.integral
        return s[r0 + h, c0 + w] - s[r0, c0 + w] - s[r0 + h, c0] + s[r0, c0]


@lru_cache(maxsize=8)
def disk(radius: int) -> np.ndarray:
    offsets = np.arange(-radius, radius + 1)
    return offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius * radius


def standable(free: np.ndarray, radius_cells: int) -> np.ndarray:
    """Cells where an agent's centre fits: free cells at least `radius_cells` from anything blocked
    (the grid's edge counts as blocked)."""
    return ndimage.binary_erosion(free, structure=disk(radius_cells), border_value=0)


def components(walkable: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected regions of walkable cells: agents walk, they do not squeeze through corners."""
    return ndimage.label(walkable)


def all_reachable(walkable: np.ndarray, entrances: list[tuple[int, int]]) -> bool:
    """True when every walkable cell lies in one region and every entrance is in it."""
    labels, count = components(walkable)
    if count != 1:
        return False
    return all(labels[r, c] == 1 for r, c in entrances)
