"""Landforms from a terrain prompt's words: flat, rolling or mountainous relief, a river's channel, a lake's basin.

Everything here is a function of world coordinates (or of the tile's own middle, kept clear of its
edges), so neighbouring tiles still share their edge samples exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from worldsmith.scenes.noise import fbm, key_of, gradient_noise
from worldsmith.scenes.prompt_words import words_of

# Relief by word: the median slope aimed for (degrees), the base wavelength (share of the tile), octaves, gain.
RELIEF_WORDS = {
    "flat": ["flat", "plain", "plains", "flatland", "flatlands", "steppe", "prairie", "lowland", "lowlands"],
    "rolling": ["rolling", "hills", "hilly", "gentle", "downs", "undulating", "meadow", "meadows", "grassland", "fields",
                "farmland", "dunes", "valley"],
    "mountainous": ["mountainous", "mountain", "mountains", "peaks", "alpine", "rugged", "craggy", "jagged", "cliffs"],
}


@dataclass(frozen=True)
class Relief:
    median_slope: float  # degrees aimed for
    wavelength: float    # share of the tile's side
    octaves: int
    gain: float
    ridged: bool
    # What the suite and the quality report hold the result to: (lowest, highest) median slope in degrees.
    accepted: tuple[float, float]


RELIEFS = {
    "flat": Relief(1.5, 1.0, 3, 0.35, False, (0.0, 4.0)),
    "rolling": Relief(6.0, 0.6, 4, 0.4, False, (2.0, 12.0)),
    "mountainous": Relief(32.0, 0.5, 6, 0.5, True, (22.0, 90.0)),
}
RELIEF_OF_WORD = {word: relief for relief, words in RELIEF_WORDS.items() for word in words}
RIVER_WORDS = frozenset({"river", "rivers", "stream", "creek", "brook"})
LAKE_WORDS = frozenset({"lake", "lakes", "pond", "tarn", "loch", "lagoon"})

# A river: half as wide as WIDTH_SHARE of the tile (at least 3 samples), DEPTH_SHARE of the height
# scale deep (1-4 m), its banks BANK_WIDTHS half-widths wide, meandering MEANDER_SHARE of the tile
# either side of the tile row's middle line over MEANDER_WAVELENGTHS of the tile.
WIDTH_SHARE, BANK_WIDTHS, DEPTH_SHARE = 1 / 40, 3.0, 0.1
MEANDER_SHARE, MEANDER_WAVELENGTH = 0.12, 0.7
# A lake: a basin of LAKE_RADIUS_SHARE of the tile round its middle, its water at the LAKE_LEVEL
# quantile of the ground it covers.
LAKE_RADIUS_SHARE, LAKE_LEVEL, SHORE_WANDER = 0.22, 0.4, 0.2


@dataclass(frozen=True)
class Landform:
    relief: str   # a key of RELIEFS, or "" for the default relief
    relief_word: str
    river: str    # the prompt's word for it, or ""
    lake: str


def read_landform(prompt: str) -> Landform:
    words = words_of(prompt)
    relief_word = next((w for w in words if w in RELIEF_OF_WORD), "")
    return Landform(RELIEF_OF_WORD.get(relief_word, ""), relief_word,
                    next((w for w in words if w in RIVER_WORDS), ""), next((w for w in words if w in LAKE_WORDS), ""))


def relief_heights(relief: Relief, cols: np.ndarray, rows: np.ndarray, samples_per_side: int, cell: float,
                   height_scale: float, seed: int) -> np.ndarray:
    """Heights in metres on the world samples (cols, rows): the relief's shape, scaled so that its median
    slope is the one aimed for (as measured on the world's first tile, so every tile scales the same),
    within 0..height_scale."""
    wavelength = max(4.0, relief.wavelength * (samples_per_side - 1))

    def shape(c: np.ndarray, r: np.ndarray) -> np.ndarray:
        n = fbm(c.astype(float), r.astype(float), wavelength, relief.octaves, seed, gain=relief.gain)
        if relief.ridged:  # sharp crests where the noise crosses zero, valleys between
            return (1.0 - np.abs(n)) ** 2
        return 0.5 + 0.5 * n

    reference = np.arange(samples_per_side)
    probe = shape(reference, reference)
    gradient = float(np.median(np.hypot(*np.gradient(probe, cell))))
    amplitude = math.tan(math.radians(relief.median_slope)) / max(gradient, 1e-9)
    amplitude = min(amplitude, height_scale if relief.ridged else 0.8 * height_scale)
    base = 0.0 if relief.ridged else 0.1 * height_scale
    return np.clip(base + amplitude * shape(cols, rows), 0.0, height_scale)


def river_centre(world_x: np.ndarray, tile_z: int, extent: float, seed: int) -> np.ndarray:
    """The river's middle line (world z) at each world x: the tile row's middle, meandering."""
    wave = gradient_noise(world_x / (MEANDER_WAVELENGTH * extent), np.zeros(1), key_of(seed, 0xB1FE))[0]
    return (tile_z + 0.5) * extent + MEANDER_SHARE * extent * np.clip(wave, -1, 1)


def carve_river(heights: np.ndarray, raw: np.ndarray, world_x: np.ndarray, world_z: np.ndarray, tile_z: int,
                extent: float, cell: float, height_scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a channel across the tile from west to east; return the new heights and the water surface (NaN
    where dry). The water level at each x follows the lowest raw ground along the channel, smoothed."""
    half_width = max(3 * cell, WIDTH_SHARE * extent)
    bank = BANK_WIDTHS * half_width
    depth = float(np.clip(DEPTH_SHARE * height_scale, 1.0, 4.0))
    distance = np.abs(world_z[:, None] - river_centre(world_x, tile_z, extent, seed)[None, :])
    in_band = distance <= half_width + bank
    lowest = np.where(in_band, raw, np.inf).min(axis=0)
    lowest = np.where(np.isfinite(lowest), lowest, raw.min(axis=0))
    level = ndimage.gaussian_filter1d(lowest, sigma=2.0, mode="nearest") - 0.5
    level = np.maximum(level, depth)  # the bed stays above 0
    channel = level[None, :] - depth + depth * (distance / half_width) ** 2
    banks = level[None, :] + (distance - half_width) * (depth / half_width)
    target = np.where(distance <= half_width, channel, banks)
    weight = _smoothstep(half_width + bank, half_width + bank / 2, distance)
    carved = heights - weight * np.maximum(heights - target, 0.0)
    water = np.where((distance <= half_width) & (carved < level[None, :]), level[None, :], np.nan)
    return carved, water


def carve_lake(heights: np.ndarray, centre: tuple[float, float], world_x: np.ndarray, world_z: np.ndarray,
               extent: float, height_scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A basin in the tile's middle with a wandering shore, clear of its edges; return the new heights and
    the water surface."""
    radius = LAKE_RADIUS_SHARE * extent
    bank = 0.5 * radius
    shore = 1.0 + SHORE_WANDER * gradient_noise(world_x / radius, world_z / radius, key_of(seed, 0x1A4E))
    distance = np.hypot(world_x[None, :] - centre[0], world_z[:, None] - centre[1]) / shore
    inside = distance <= radius
    level = float(np.quantile(heights[inside], LAKE_LEVEL))
    depth = float(np.clip(DEPTH_SHARE * height_scale, 1.0, 4.0))
    level = max(level, depth)
    basin = level - depth * (1 - (distance / radius) ** 2)
    rim = level + (distance - radius) * (depth / radius)
    target = np.where(inside, basin, rim)
    weight = _smoothstep(radius + bank, radius + bank / 3, distance)
    carved = heights - weight * np.maximum(heights - target, 0.0)
    water = np.where(inside & (carved < level), level, np.nan)
    return carved, water


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
