"""The texture atlas: one image, a fixed 4 x 4 grid of tiles (skin, face, eyes, hair, beard, a tile
per garment kind, accessories), each painted procedurally from its own colour and random stream.
Garment kinds for the same body slot share a tile, since only one of them is ever worn.

Tiles never move and never read each other's colours, so editing the hair colour repaints the
hair tile and nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.avatars.colors import linear_to_srgb8, rgb, srgb_to_linear
from worldsmith.avatars.geometry import smoothstep
from worldsmith.avatars.outfit import ACCESSORY_CELLS

GRID = 4
# Garments that cover the same slot never meet on one avatar, so some share a tile.
TILES = {
    "skin": (0, 0), "face": (1, 0), "eyes": (2, 0), "hair": (3, 0),
    "shirt": (0, 1), "jacket": (1, 1), "trousers": (2, 1), "beard": (3, 1),
    "skirt": (0, 2), "boots": (1, 2), "apron": (2, 2), "gloves": (3, 2),
    "cloak": (0, 3), "accessories": (1, 3), "robe": (2, 3), "dress": (3, 3), "gown": (3, 3),
    "leather_armour": (0, 1), "plate_armour": (1, 1), "shorts": (2, 1), "shoes": (1, 2),
}
HAIRLINE_V = 0.9  # tile v where the hair tile starts fading to skin (the scalp cap's edge)
MARGIN = 1.0 / 32.0  # of a tile, kept clear of UVs so mipmaps do not bleed across tiles

CLOTH_PATTERN = {
    "shirt": "knit", "jacket": "twill", "trousers": "twill", "shorts": "twill", "skirt": "wool",
    "boots": "leather", "shoes": "leather", "gloves": "leather", "cloak": "wool",
    "robe": "wool", "dress": "knit", "gown": "knit", "plate_armour": "plate", "leather_armour": "leather", "apron": "leather",
}
ACCESSORY_COLORS = {
    "glasses": "#1b1b1d", "earrings": "#d4af37", "necklace": "#c0c4c8", "belt": "#4a2f1b",
    "buckle": "#b8b8b0", "headband": "#8e2a2a", "scarf": "#7b2335",
}


def tile_box(tile: str, size: int) -> tuple[slice, slice]:
    """The rows and columns of an atlas of `size` pixels that a tile covers."""
    col, row = TILES[tile]
    side = size // GRID
    return slice(row * side, (row + 1) * side), slice(col * side, (col + 1) * side)


def atlas_uv(tile: str, uv: np.ndarray) -> np.ndarray:
    """Tile-local UVs ([0, 1], v down) to atlas UVs (glTF: origin at the image's top left)."""
    col, row = TILES[tile]
    inner = MARGIN + np.clip(uv, 0.0, 1.0) * (1.0 - 2.0 * MARGIN)
    return (np.array([col, row]) + inner) / GRID


@dataclass(frozen=True)
class AtlasColors:
    skin: common_pb2.Color
    hair: common_pb2.Color
    beard: common_pb2.Color
    eyes: common_pb2.Color
    outfit: dict[str, common_pb2.Color]


def paint(size: int, colors: AtlasColors, face_masks: Callable, stream: Callable[[str], np.random.Generator]) -> np.ndarray:
    """The atlas as sRGB bytes (size x size x 3). `face_masks(u, v)` marks the face features;
    `stream(name)` gives each tile its own random generator."""
    tile = size // GRID
    image = np.full((size, size, 3), linear_to_srgb8(np.array([0.2]))[0], dtype=np.uint8)
    local = (np.arange(tile) + 0.5) / tile
    local = (local - MARGIN) / (1.0 - 2.0 * MARGIN)  # tile-local UV of each pixel centre
    u, v = np.meshgrid(local, local)
    for name, (col, row) in TILES.items():
        rng = stream(f"tile:{name}")
        if name == "skin":
            linear = _skin(rgb(colors.skin), rng, tile)
        elif name == "face":
            linear = _face(rgb(colors.skin), face_masks(u, v), rng, tile)
        elif name == "eyes":
            linear = _eyes(rgb(colors.eyes), u, v, rng, tile)
        elif name == "hair":
            linear = _hair(rgb(colors.hair), rng, tile, fade_to=rgb(colors.skin))
        elif name == "beard":
            linear = _hair(rgb(colors.beard), rng, tile)
        elif name == "accessories":
            linear = _accessories(u, v)
        elif name in colors.outfit:
            linear = _cloth(rgb(colors.outfit[name]), CLOTH_PATTERN[name], u, v, rng, tile)
        else:
            continue  # not worn: its tile stays plain, or belongs to the garment worn in that slot
        image[tile_box(name, size)] = linear_to_srgb8(linear)
    return image


def fade_hairline(tile: np.ndarray, skin: common_pb2.Color) -> np.ndarray:
    """A hair tile painted elsewhere (by a texture model), its hairline band faded to skin as
    `_hair` fades the procedural one: sRGB bytes in, sRGB bytes out."""
    side = tile.shape[0]
    v = ((np.arange(side) + 0.5) / side - MARGIN) / (1.0 - 2.0 * MARGIN)
    fade = (smoothstep(HAIRLINE_V, 1.0, v) * 0.75)[:, None, None]
    linear = srgb_to_linear(tile / 255.0)
    return linear_to_srgb8(linear + (rgb(skin) * 0.9 - linear) * fade)


def jpeg(image: np.ndarray, size: int | None = None) -> bytes:
    """JPEG bytes (quality 92, no chroma subsampling), optionally downscaled for far LODs.
    JPEG, not PNG: it encodes faster and smaller (ARCHITECTURE.md, Avatars), and the same pixels still
    give the same bytes."""
    picture = Image.fromarray(image, "RGB")
    if size is not None and size != image.shape[0]:
        picture = picture.resize((size, size), Image.Resampling.BOX)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=92, subsampling=0)
    return buffer.getvalue()


def _noise(rng: np.random.Generator, tile: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth value noise in [-1, 1] with `cells` (rows, cols) features across the tile; it wraps
    left to right, where tube UVs meet. (PIL's bicubic resize: six times faster than scipy's zoom.)"""
    rows, cols = cells
    grid = np.pad(rng.uniform(-1.0, 1.0, size=cells).astype(np.float32), ((0, 0), (2, 2)), mode="wrap")
    width = round(tile * (cols + 4) / cols)
    resized = np.asarray(Image.fromarray(grid, "F").resize((width, tile), Image.Resampling.BICUBIC))
    start = (width - tile) // 2
    return np.clip(resized[:, start : start + tile], -1.0, 1.0)


def _skin(base: np.ndarray, rng: np.random.Generator, tile: int) -> np.ndarray:
    variation = 1.0 + 0.05 * _noise(rng, tile, (6, 6)) + 0.025 * _noise(rng, tile, (min(tile, 48), min(tile, 48)))
    return base * variation[..., None]


def _face(base: np.ndarray, masks: dict[str, np.ndarray], rng: np.random.Generator, tile: int) -> np.ndarray:
    color = _skin(base, rng, tile)
    lips = base * np.array([0.8, 0.5, 0.5])
    color += (lips - color) * (0.6 * masks["lips"])[..., None]
    color += (base * np.array([1.0, 0.8, 0.8]) - color) * (0.25 * masks["blush"])[..., None]
    color *= (1.0 - 0.55 * masks["nostrils"] - 0.25 * masks["lids"] - 0.3 * masks["wrinkles"])[..., None]
    inside = np.array([0.06, 0.012, 0.014])
    color += (inside - color) * masks["mouth"][..., None]
    return color


def _eyes(iris: np.ndarray, u: np.ndarray, v: np.ndarray, rng: np.random.Generator, tile: int) -> np.ndarray:
    x, y = 2.0 * u - 1.0, 2.0 * v - 1.0  # the eyeball's front, projected: radius 1 at its rim
    r = np.hypot(x, y)
    angle = np.arctan2(y, x)
    streaks = np.interp(angle, np.linspace(-np.pi, np.pi, 65), np.concatenate([rng.uniform(-1, 1, 64), [0.0]]))
    color = np.empty(u.shape + (3,))
    color[:] = srgb_to_linear(np.array([0.93, 0.92, 0.9]))
    iris_color = iris[None, None, :] * (0.75 + 0.35 * streaks[..., None]) * (0.6 + 0.6 * r[..., None] / 0.5)
    in_iris = r < 0.5
    color[in_iris] = iris_color[in_iris]
    color[(r >= 0.46) & (r < 0.5)] *= 0.45  # the limbal ring
    color[r < 0.2] = 0.01
    return color


def _hair(base: np.ndarray, rng: np.random.Generator, tile: int, fade_to: np.ndarray | None = None) -> np.ndarray:
    """Strands along v. With `fade_to`, the band below HAIRLINE_V thins into that (skin) colour
    strand by strand, for a soft hairline on the scalp cap (hair.py keeps other hair above it)."""
    strands = _noise(rng, tile, (3, min(tile, 64)))
    fine = _noise(rng, tile, (6, min(tile, 192)))
    color = base * (0.85 + 0.22 * strands + 0.12 * fine)[..., None]
    if fade_to is not None:
        v = ((np.arange(tile) + 0.5) / tile - MARGIN) / (1.0 - 2.0 * MARGIN)
        ragged = HAIRLINE_V + (1.0 - HAIRLINE_V) * 0.35 * fine
        skin = smoothstep(ragged, 1.0, v[:, None])[..., None] * 0.75
        color = color + (fade_to * 0.9 - color) * skin
    return color


def _cloth(base: np.ndarray, pattern: str, u: np.ndarray, v: np.ndarray, rng: np.random.Generator, tile: int) -> np.ndarray:
    threads = tile / 4.0
    if pattern == "knit":
        texture = 0.05 * np.sin(2 * np.pi * v * threads) + 0.03 * _noise(rng, tile, (16, 16))
    elif pattern == "twill":
        texture = 0.07 * np.sin(2 * np.pi * (u + v) * threads) + 0.04 * _noise(rng, tile, (12, 12))
    elif pattern == "plate":
        # Polished steel: horizontal lames with dark gaps and a bright band along each.
        lame = (v * 6.0) % 1.0
        texture = 0.35 * np.exp(-((lame - 0.4) / 0.18) ** 2) - 0.45 * (lame > 0.9) + 0.04 * _noise(rng, tile, (8, 8))
    elif pattern == "leather":
        texture = 0.12 * _noise(rng, tile, (10, 10)) + 0.05 * _noise(rng, tile, (min(tile, 40), min(tile, 40)))
    else:  # wool
        texture = 0.1 * _noise(rng, tile, (min(tile, 64), min(tile, 64))) + 0.05 * _noise(rng, tile, (8, 8))
    hems = 1.0 - 0.3 * ((v < 0.03) | (v > 0.97))  # stitched edges where the garment ends
    return base * ((1.0 + texture) * hems)[..., None]


def _accessories(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    color = np.full(u.shape + (3,), 0.2)
    cell = np.clip((v * 3).astype(int), 0, 2) * 3 + np.clip((u * 3).astype(int), 0, 2)
    for name, index in ACCESSORY_CELLS.items():
        code = ACCESSORY_COLORS[name]
        color[cell == index] = srgb_to_linear(np.array([int(code[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0)
    return color
