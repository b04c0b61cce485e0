"""Named colours and the sRGB <-> linear conversions avatars need (proto colours are linear)."""

from __future__ import annotations

import numpy as np

from worldsmith._proto.worldsmith.v1 import common_pb2


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    srgb = np.asarray(srgb, dtype=np.float64)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _srgb8_table(levels: int) -> np.ndarray:
    linear = np.linspace(0.0, 1.0, levels)
    srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 255.0).astype(np.uint8)


_SRGB8 = _srgb8_table(1 << 14)  # a table: a power per pixel costs more than the rest of the atlas


def linear_to_srgb8(linear: np.ndarray) -> np.ndarray:
    """Linear [0, 1] floats to sRGB bytes, for textures (glTF base colour is sRGB)."""
    index = np.clip(np.asarray(linear, dtype=np.float32), 0.0, 1.0) * (len(_SRGB8) - 1) + 0.5
    return _SRGB8[index.astype(np.intp)]


def hex_color(code: str) -> common_pb2.Color:
    """'#rrggbb' (sRGB, as colour pickers show it) to a linear proto Color."""
    srgb = np.array([int(code[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    r, g, b = srgb_to_linear(srgb)
    return common_pb2.Color(r=float(r), g=float(g), b=float(b), a=1.0)


def rgb(color: common_pb2.Color) -> np.ndarray:
    return np.array([color.r, color.g, color.b], dtype=np.float64)


def shade(color: common_pb2.Color, factor: float) -> common_pb2.Color:
    """Darker (factor < 1) or lighter towards white (factor > 1), in linear light."""
    value = rgb(color)
    value = value * factor if factor <= 1 else value + (1 - value) * min(1.0, factor - 1)
    r, g, b = np.clip(value, 0, 1)
    return common_pb2.Color(r=float(r), g=float(g), b=float(b), a=1.0)


# Everyday colour words, as sRGB hex.
NAMED = {
    "red": "#b3261e", "crimson": "#9e1b32", "scarlet": "#c8261c", "maroon": "#5e1a1d",
    "burgundy": "#6d1a2a", "orange": "#d9731f", "amber": "#c98a1b", "yellow": "#e0c330",
    "gold": "#c9a233", "golden": "#c9a233", "green": "#2f7d32", "emerald": "#1f7a4d",
    "olive": "#6b6b2a", "lime": "#7cc43a", "forest": "#25502a", "teal": "#1f6f73",
    "turquoise": "#2aa198", "cyan": "#2bb3c8", "blue": "#2a4fa3", "navy": "#1c2748",
    "azure": "#3f7fd0", "purple": "#5e2f86", "violet": "#6a3fb0", "lavender": "#a48ccf",
    "pink": "#d77a9b", "magenta": "#b5307c", "brown": "#6b4428", "tan": "#b08a5e",
    "beige": "#cdb894", "khaki": "#a59a6a", "cream": "#e8dcc0", "white": "#e9e7e2",
    "ivory": "#ece6d2", "grey": "#7a7a7a", "gray": "#7a7a7a", "silver": "#b8bcc2",
    "charcoal": "#33363a", "black": "#1d1d1f",
}

# Materials that imply a colour when no colour word is given ("leather boots").
MATERIALS = {
    "leather": "#5c3b22", "denim": "#3a5680", "jeans": "#3a5680", "wool": "#8a7d6b",
    "linen": "#d8cdb4", "silk": "#b9455f", "steel": "#8d949c", "iron": "#5b5f63",
    "fur": "#7a5a3a", "velvet": "#5a1f3c", "canvas": "#a8996f",
}

HAIR = {
    "blonde": "#d8b86a", "blond": "#d8b86a", "platinum": "#e4dcc4", "auburn": "#8a3b1f",
    "ginger": "#b4521f", "red": "#9c3a1a", "copper": "#a4501f", "brunette": "#4a2e1c",
    "chestnut": "#5c3219", "brown": "#4f3120", "black": "#1a1614", "raven": "#141316",
    "grey": "#8b8b88", "gray": "#8b8b88", "silver": "#b9bbbd", "white": "#e2e0da",
}

SKIN = {
    "pale": "#f1d6c8", "fair": "#eac5ae", "light": "#e3b899", "medium": "#c99872",
    "olive": "#b48a62", "tan": "#b98258", "tanned": "#b98258", "brown": "#8d5a3b",
    "dark": "#5e3a25", "deep": "#4a2c1c", "ebony": "#3b2419",
    # fantasy folk
    "green": "#6f8f4a", "blue": "#5d7fae", "grey": "#8c8f93", "gray": "#8c8f93",
}

EYES = {
    "blue": "#3d6fa8", "green": "#4f8a45", "brown": "#5a3822", "hazel": "#7a6034",
    "grey": "#7d8a93", "gray": "#7d8a93", "amber": "#b07a22", "black": "#1e1a18",
    "violet": "#6a4aa0", "red": "#9a2a24", "gold": "#b89130", "golden": "#b89130",
}

# Natural tones drawn from when nothing says otherwise.
NATURAL_SKIN = ("#f1d6c8", "#eac5ae", "#e3b899", "#c99872", "#b48a62", "#8d5a3b", "#5e3a25", "#4a2c1c")
NATURAL_HAIR = ("#d8b86a", "#8a3b1f", "#4a2e1c", "#5c3219", "#1a1614")
NATURAL_EYES = ("#3d6fa8", "#4f8a45", "#5a3822", "#7a6034", "#7d8a93")
CLOTH = ("#2a4fa3", "#1c2748", "#b3261e", "#2f7d32", "#6b4428", "#33363a", "#e9e7e2", "#a59a6a", "#5e2f86", "#1f6f73")
# Garment kinds that draw their seeded colour from their own palette instead of CLOTH.
LEATHER = ("#3b2a1e", "#1d1d1f", "#5c3b22")
PALETTES = {
    "boots": LEATHER, "shoes": LEATHER, "gloves": LEATHER, "leather_armour": ("#5c3b22", "#3b2a1e", "#6e4a2c"),
    "plate_armour": ("#8d949c", "#9aa0a6", "#6f757c"), "apron": ("#5c3b22", "#a8996f", "#d8cdb4"),
}

GREY_HAIR = np.array([0.62, 0.62, 0.6])  # linear


def greyed(color: common_pb2.Color, age: float) -> common_pb2.Color:
    """Hair as it greys: unchanged to 40, mostly grey by 70, near white past 85."""
    amount = float(np.clip((age - 40.0) / 35.0, 0.0, 0.95))
    value = rgb(color)
    luma = value @ np.array([0.2126, 0.7152, 0.0722])
    faded = value + (luma - value) * min(1.0, 1.5 * amount)  # the colour goes first, then the hair whitens
    r, g, b = faded + (GREY_HAIR - faded) * amount
    return common_pb2.Color(r=float(r), g=float(g), b=float(b), a=1.0)
