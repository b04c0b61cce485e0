"""Periodic noise on a torus: B-spline value noise, fBm, ridged, cellular (Worley), vectorised with numpy.

Every field here repeats exactly over the canvas, so anything built from them tiles. A field
is a smooth function of a random lattice: lattice values are drawn per cell (not per pixel),
so the same seed gives the same material at any resolution, and a field costs two matrix
products, `rows @ lattice @ columns.T`, where `rows` and `columns` hold the cubic B-spline
weights of each pixel (four non-zeros per row). Each field is finally shifted around the
torus by a random fraction of the canvas, so the tile's edge does not always fall on a
lattice line, where statistics differ slightly from the rest.
"""

from __future__ import annotations

import functools

import numpy as np
import threadpoolctl

# The products here are small: a two-thread BLAS stalls at every call until both cores are
# free, which on a busy two-core machine made painting 3 to 25 times slower than one thread.
# The CPU engine already runs jobs side by side, so each product uses one thread. (The
# limit is process-wide; two jobs overlapping may leave it at one thread, which is the point.)
_BLAS = threadpoolctl.ThreadpoolController()

Shape = tuple[int, int]
Cells = tuple[int, int]


@functools.lru_cache(maxsize=64)
def spline_weights(pixels: int, cells: int) -> np.ndarray:
    """(pixels x cells) cubic B-spline weights of each pixel over a periodic lattice of `cells`."""
    position = np.arange(pixels, dtype=np.float64) * cells / pixels
    index = np.floor(position).astype(np.int64)
    t = position - index
    taps = np.stack([(1 - t) ** 3, 3 * t**3 - 6 * t**2 + 4, -3 * t**3 + 3 * t**2 + 3 * t + 1, t**3], axis=1) / 6
    weights = np.zeros((pixels, cells), np.float32)
    columns = (index[:, None] + np.arange(-1, 3)[None, :]) % cells
    np.add.at(weights, (np.repeat(np.arange(pixels), 4), columns.ravel()), taps.ravel())
    weights.flags.writeable = False
    return weights


def from_lattice(lattice: np.ndarray, shape: Shape) -> np.ndarray:
    """The smooth periodic field through `lattice`, sampled on `shape` pixels."""
    rows = spline_weights(shape[0], lattice.shape[0])
    columns = spline_weights(shape[1], lattice.shape[1])
    with _BLAS.limit(limits=1, user_api="blas"):
        return (rows @ lattice.astype(np.float32)) @ columns.T


def refine(lattice: np.ndarray) -> np.ndarray:
    """The same cubic B-spline on a lattice twice as fine (Lane-Riesenfeld subdivision), per axis."""
    for axis in (0, 1):
        before, after = np.roll(lattice, 1, axis), np.roll(lattice, -1, axis)
        even = (before + 6 * lattice + after) / 8
        odd = (lattice + after) / 2
        lattice = np.stack([even, odd], axis=axis + 1).reshape(
            (lattice.shape[0] * 2, lattice.shape[1]) if axis == 0 else (lattice.shape[0], lattice.shape[1] * 2))
    return lattice


# A cubic B-spline through unit-variance lattice values keeps 151/315 of their variance per axis.
SPLINE_SPREAD = 151 / 315


def shifted(rng: np.random.Generator, *fields: np.ndarray):
    """Move fields (together) around the torus by one random fraction of the canvas."""
    fraction = rng.random(2)
    shape = fields[0].shape
    offset = (int(fraction[0] * shape[0]), int(fraction[1] * shape[1]))
    moved = tuple(np.roll(field, offset, axis=(0, 1)) for field in fields)
    return moved if len(moved) > 1 else moved[0]


def standardise(field: np.ndarray) -> np.ndarray:
    """Zero mean, unit spread: presets then mix fields with predictable weights."""
    field -= field.mean()
    field /= max(float(field.std()), 1e-6)
    return field


def value(rng: np.random.Generator, shape: Shape, cells: Cells) -> np.ndarray:
    """One octave of value noise with unit spread on average."""
    return shifted(rng, from_lattice(rng.standard_normal(cells) / SPLINE_SPREAD, shape))


def fbm(rng: np.random.Generator, shape: Shape, cells: Cells, octaves: int = 5, gain: float = 0.5) -> np.ndarray:
    """Fractal Brownian motion: octaves of value noise at doubling frequency, standardised.

    Octaves are summed on the finest lattice (exact subdivision), so the whole sum costs
    one field evaluation.
    """
    total = None
    for octave in range(octaves):
        lattice = rng.standard_normal((cells[0] << octave, cells[1] << octave)) * gain**octave
        total = lattice if total is None else refine(total) + lattice
    return shifted(rng, standardise(from_lattice(total, shape)))


def ridged(rng: np.random.Generator, shape: Shape, cells: Cells, octaves: int = 4, gain: float = 0.5) -> np.ndarray:
    """Ridged multifractal: sharp crests where each octave crosses zero, in [0, 1]."""
    total = np.zeros(shape, np.float32)
    weight_sum = 0.0
    for octave in range(octaves):
        crest = value(rng, shape, (cells[0] << octave, cells[1] << octave))
        np.abs(crest, out=crest)
        crest *= -0.5
        crest += 1.0
        np.clip(crest, 0.0, 1.0, out=crest)
        crest *= crest
        crest *= gain**octave
        total += crest
        weight_sum += gain**octave
    total /= weight_sum
    return total


def cellular(rng: np.random.Generator, shape: Shape, cells: Cells, jitter: float = 0.9):
    """Worley noise on a jittered periodic lattice.

    Returns (f1, f2, cell): the distances to the nearest and second-nearest feature point (in
    cell units) and the flat index of the nearest point's cell, for per-cell colours.
    Distances are Lipschitz and vary slowly next to a pixel, so they are computed on every
    other pixel and interpolated: a quarter of the work for an error far below a grey level.
    """
    points = (0.5 + (rng.random((2, *cells)) - 0.5) * jitter).astype(np.float32)
    # Every other pixel's position, in cell units.
    y = np.arange(0, shape[0], 2, dtype=np.float32) * (cells[0] / shape[0])
    x = np.arange(0, shape[1], 2, dtype=np.float32) * (cells[1] / shape[1])
    f1, f2, cell = _worley(points, y, x)
    f1, f2 = (_double(field)[: shape[0], : shape[1]] for field in (f1, f2))
    cell = np.repeat(np.repeat(cell, 2, axis=0), 2, axis=1)[: shape[0], : shape[1]]
    return shifted(rng, f1, f2, np.ascontiguousarray(cell))


def _worley(points: np.ndarray, y: np.ndarray, x: np.ndarray):
    """F1, F2 and the nearest cell at the grid of positions y (down) by x (across), in cell units.

    Each sample looks at the points of its own and the eight neighbouring cells; those are
    gathered per column with np.repeat (a sample's cell column only steps up along a row) and
    per row by indexing whole rows, so no per-sample gather is needed.
    """
    cells = points.shape[1:]
    ids = np.arange(cells[0] * cells[1], dtype=np.int32).reshape(cells)
    shape = (len(y), len(x))
    row = np.floor(y).astype(np.int64)
    column = np.floor(x).astype(np.int64)
    fy, fx = (y - row)[:, None], (x - column)[None, :]
    per_column = np.bincount(column, minlength=cells[1])
    f1 = np.full(shape, np.inf, np.float32)
    f2 = np.full(shape, np.inf, np.float32)
    cell = np.zeros(shape, np.int32)
    distance = np.empty(shape, np.float32)
    scratch = np.empty(shape, np.float32)
    nearer = np.empty(shape, bool)
    for dx in (-1, 0, 1):
        # Columns of the neighbour cell dx to the right, one entry per sample column.
        column_y = np.repeat(np.roll(points[0], -dx, axis=1), per_column, axis=1)
        column_x = np.repeat(np.roll(points[1], -dx, axis=1), per_column, axis=1) + (dx - fx)
        column_ids = np.repeat(np.roll(ids, -dx, axis=1), per_column, axis=1)
        for dy in (-1, 0, 1):
            rows = (row + dy) % cells[0]
            np.subtract(column_y[rows], fy - dy, out=distance)
            distance *= distance
            np.square(column_x[rows], out=scratch)
            distance += scratch
            np.less(distance, f1, out=nearer)
            np.maximum(f1, distance, out=scratch)
            np.minimum(f2, scratch, out=f2)
            np.minimum(f1, distance, out=f1)
            np.copyto(cell, column_ids[rows], where=nearer)
    np.sqrt(f1, out=f1)
    np.sqrt(f2, out=f2)
    return f1, f2, cell


def _double(field: np.ndarray) -> np.ndarray:
    """Twice the samples per axis: the originals, and between them their (wrapped) mean."""
    for axis in (0, 1):
        between = (field + np.roll(field, -1, axis)) * 0.5
        field = np.stack([field, between], axis=axis + 1).reshape(
            (field.shape[0] * 2, field.shape[1]) if axis == 0 else (field.shape[0], field.shape[1] * 2))
    return field
