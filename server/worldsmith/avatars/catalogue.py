"""What an avatar can be made of: hair styles, outfit pieces, accessories and parameter ranges."""

from __future__ import annotations

DNA_VERSION = 1

HAIR_STYLES = ("bald", "buzz", "short", "curly", "bob", "long", "ponytail", "bun", "mohawk")
BEARD_STYLES = ("none", "stubble", "short", "full", "long", "goatee")
MOUSTACHE_STYLES = ("none", "pencil", "chevron", "walrus", "handlebar")
BODY_PLANS = ("human", "dwarf", "elf")

# Each outfit kind covers one body slot; an avatar wears at most one piece per slot.
OUTFIT_SLOTS = {
    "shirt": "torso",
    "jacket": "torso",
    "trousers": "legs",
    "shorts": "legs",
    "skirt": "legs",
    "boots": "feet",
    "shoes": "feet",
    "gloves": "hands",
    "cloak": "back",
    "robe": "torso",  # sleeves to the wrists and a skirt to the ankles
    "dress": "torso",  # a fitted bodice and a skirt below the knee
    "gown": "torso",  # a fitted bodice and a skirt to the ankles
    "plate_armour": "torso",  # breastplate, pauldrons, vambraces and a skirt of lames
    "leather_armour": "torso",  # a thick jerkin with shoulder guards
    "apron": "front",  # a bib and a skirt hanging in front, over the rest
}
OUTFIT_KINDS = tuple(OUTFIT_SLOTS)

ACCESSORIES = ("glasses", "earrings", "necklace", "belt", "headband", "scarf", "elf_ears")

# Inclusive ranges of the numeric parameters. leg_ratio is the hip joints' height over stature.
RANGES = {
    "height_m": (0.9, 2.4),
    "build": (0.0, 1.0),
    "shoulder_width": (0.0, 1.0),
    "leg_ratio": (0.42, 0.58),
    "head_scale": (0.8, 1.25),
    "femininity": (0.0, 1.0),
    "age": (4.0, 110.0),
    "muscle": (0.0, 1.0),
}

MIN_TEXTURE_SIZE = 64
DEFAULT_TEXTURE_SIZE = 1024
DEFAULT_LODS = (1.0, 0.5, 0.25)
MAX_LODS = 6
MIN_LOD_RATIO = 0.05
MAX_DESCRIPTION_CHARS = 1000
