"""From a description to parameters without a model: colour words, build words, archetypes and
heights in any common unit ("1.9 m", "190cm", "6'2\"", "six foot two", "74 inches").

The parser returns only what the text says; everything else is left unset for the seed to
choose. It is deterministic: the same text always gives the same parameters.
"""

from __future__ import annotations

import re

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import catalogue, colors

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_NUMBER = r"(\d+(?:[.,]\d+)?|" + "|".join(NUMBER_WORDS) + r")"
HEIGHT_PATTERNS = (
    (re.compile(_NUMBER + r"\s*(?:'|′|ft\.?|feet|foot)\s*(?:(?:and\s+)?" + _NUMBER + r"\s*(?:\"|″|''|in\.?|inches|inch)?)?(?![a-z])"), "feet"),
    (re.compile(_NUMBER + r"\s*(?:cm|centimet(?:er|re)s?)(?![a-z])"), "cm"),
    (re.compile(_NUMBER + r"\s*(?:m|met(?:er|re)s?)(?![a-z])"), "m"),
    (re.compile(_NUMBER + r"\s*(?:\"|″|in\.?|inches|inch)(?![a-z])"), "in"),
)

AVERAGE_HEIGHT = 1.72
HEIGHT_WORDS = {"tiny": 1.2, "short": 1.58, "petite": 1.55, "tall": 1.88, "towering": 2.1, "lanky": 1.9}
VERY = {"very", "really", "extremely"}
BUILD_WORDS = {
    "skinny": 0.1, "thin": 0.15, "slim": 0.22, "slender": 0.2, "lean": 0.28, "wiry": 0.25, "lanky": 0.18,
    "athletic": 0.55, "fit": 0.5, "toned": 0.5, "muscular": 0.8, "strong": 0.75, "brawny": 0.85,
    "burly": 0.88, "stocky": 0.85, "heavy": 0.9, "heavyset": 0.92, "chubby": 0.88, "plump": 0.9, "fat": 1.0,
    "portly": 0.95, "rotund": 1.0, "big": 0.85, "large": 0.85, "hulking": 1.0,
}

HAIR_NOUNS = {"hair", "haired", "hairstyle", "locks"}
EYE_NOUNS = {"eyes", "eyed", "eye"}
SKIN_NOUNS = {"skin", "skinned", "complexion"}
HAIR_STYLE_WORDS = {
    "bald": "bald", "shaved": "buzz", "buzz": "buzz", "buzzcut": "buzz", "crew": "buzz", "short": "short",
    "cropped": "short", "curly": "curly", "afro": "curly", "wavy": "long", "long": "long", "flowing": "long",
    "bob": "bob", "ponytail": "ponytail", "pigtails": "ponytail", "braid": "ponytail", "braids": "ponytail",
    "braided": "ponytail", "bun": "bun", "mohawk": "mohawk",
}
STANDALONE_HAIR_COLORS = {"blonde": "blonde", "blond": "blond", "brunette": "brunette", "redhead": "ginger", "ginger": "ginger"}
STANDALONE_STYLES = {"bald", "ponytail", "pigtails", "braids", "bun", "mohawk", "afro", "buzzcut"}
GARMENTS = {
    "shirt": "shirt", "tshirt": "shirt", "tee": "shirt", "blouse": "shirt", "top": "shirt", "tunic": "shirt",
    "jerkin": "shirt", "vest": "shirt", "jacket": "jacket", "coat": "jacket", "hoodie": "jacket", "sweater": "jacket",
    "jumper": "jacket", "blazer": "jacket", "doublet": "jacket", "armor": "jacket", "armour": "jacket",
    "trousers": "trousers", "pants": "trousers", "jeans": "trousers", "slacks": "trousers", "leggings": "trousers",
    "breeches": "trousers", "shorts": "shorts", "skirt": "skirt", "kilt": "skirt", "boots": "boots", "boot": "boots",
    "shoes": "shoes", "sneakers": "shoes", "trainers": "shoes", "sandals": "shoes", "loafers": "shoes",
    "gloves": "gloves", "gauntlets": "gloves", "cloak": "cloak", "cape": "cloak", "mantle": "cloak",
}
ACCESSORY_WORDS = {
    "glasses": "glasses", "spectacles": "glasses", "specs": "glasses", "sunglasses": "glasses", "earrings": "earrings",
    "earring": "earrings", "necklace": "necklace", "pendant": "necklace", "amulet": "necklace", "belt": "belt",
    "headband": "headband", "bandana": "headband", "scarf": "scarf",
}
SHADES = {"dark": 0.45, "deep": 0.55, "light": 1.45, "pale": 1.6, "bright": 1.2}

# Archetypes set soft defaults; explicit words in the same text override them.
ARCHETYPES: dict[str, dict] = {
    "elf": {"accessories": ["elf_ears"], "build": 0.22, "height_m": 1.86},
    "elven": {"accessories": ["elf_ears"], "build": 0.22, "height_m": 1.86},
    "dwarf": {"height_m": 1.35, "build": 0.85, "shoulder_width": 0.85, "leg_ratio": 0.44, "head_scale": 1.1},
    "orc": {"skin_tone": "green", "build": 0.9, "height_m": 1.92, "shoulder_width": 0.9},
    "halfling": {"height_m": 1.1, "head_scale": 1.1, "leg_ratio": 0.46},
    "hobbit": {"height_m": 1.1, "head_scale": 1.1, "leg_ratio": 0.46},
    "giant": {"height_m": 2.3, "build": 0.9, "shoulder_width": 0.9},
    "child": {"height_m": 1.3, "head_scale": 1.15, "build": 0.35},
    "kid": {"height_m": 1.3, "head_scale": 1.15, "build": 0.35},
    "woman": {"height_m": 1.66, "shoulder_width": 0.3},
    "lady": {"height_m": 1.66, "shoulder_width": 0.3},
    "girl": {"height_m": 1.55, "shoulder_width": 0.25, "head_scale": 1.06},
    "man": {"height_m": 1.78, "shoulder_width": 0.62},
    "guy": {"height_m": 1.78, "shoulder_width": 0.62},
    "boy": {"height_m": 1.5, "shoulder_width": 0.4, "head_scale": 1.06},
    "ranger": {"outfit": {"shirt": "forest", "trousers": "brown", "boots": "leather", "cloak": "forest"}, "accessories": ["belt"]},
    "knight": {"outfit": {"jacket": "steel", "trousers": "iron", "boots": "iron", "gloves": "steel"}, "accessories": ["belt"]},
    "warrior": {"outfit": {"jacket": "iron", "trousers": "leather", "boots": "leather", "gloves": "leather"}, "build": 0.75},
    "soldier": {"outfit": {"jacket": "olive", "trousers": "olive", "boots": "black"}, "accessories": ["belt"]},
    "wizard": {"outfit": {"jacket": "navy", "skirt": "navy", "shoes": "brown", "cloak": "purple"}},
    "mage": {"outfit": {"jacket": "purple", "skirt": "purple", "shoes": "brown", "cloak": "navy"}},
    "witch": {"outfit": {"jacket": "black", "skirt": "black", "boots": "black", "cloak": "black"}},
    "pirate": {"outfit": {"shirt": "white", "trousers": "black", "boots": "black"}, "accessories": ["headband", "earrings", "belt"]},
    "rogue": {"outfit": {"jacket": "charcoal", "trousers": "black", "boots": "black", "gloves": "black", "cloak": "charcoal"}},
    "thief": {"outfit": {"jacket": "charcoal", "trousers": "black", "boots": "black", "gloves": "black"}},
    "doctor": {"outfit": {"jacket": "white", "trousers": "navy", "shoes": "black"}, "accessories": ["glasses"]},
    "scientist": {"outfit": {"jacket": "white", "trousers": "charcoal", "shoes": "black"}, "accessories": ["glasses"]},
    "farmer": {"outfit": {"shirt": "linen", "trousers": "brown", "boots": "brown"}},
    "athlete": {"outfit": {"shirt": "white", "shorts": "navy", "shoes": "white"}, "build": 0.55},
    "runner": {"outfit": {"shirt": "white", "shorts": "navy", "shoes": "white"}, "build": 0.4},
}
DRESS_WORDS = {"dress": ("shirt", "skirt"), "gown": ("shirt", "skirt"), "robe": ("jacket", "skirt"), "robes": ("jacket", "skirt")}


def _number(text: str) -> float:
    return float(NUMBER_WORDS[text]) if text in NUMBER_WORDS else float(text.replace(",", "."))


def _height(text: str) -> tuple[float | None, str]:
    """A height written with a unit, in metres, and the text with it removed."""
    for pattern, unit in HEIGHT_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        value = _number(match.group(1))
        if unit == "feet":
            inches = _number(match.group(2)) if match.group(2) else 0.0
            metres = value * 0.3048 + inches * 0.0254
        else:
            metres = value * {"cm": 0.01, "m": 1.0, "in": 0.0254}[unit]
        return metres, text[: match.start()] + " , " + text[match.end() :]
    return None, text


def _color(words: list[str], table: dict[str, str]) -> common_pb2.Color | None:
    """The colour that adjective words name ("dark green"), looking `table` up before the
    general colour and material names."""
    color, factor = None, 1.0
    for word in words:
        if word in table:
            color = colors.hex_color(table[word])
        elif word in colors.NAMED:
            color = colors.hex_color(colors.NAMED[word])
        elif word in colors.MATERIALS:
            color = colors.hex_color(colors.MATERIALS[word])
        elif word in SHADES:
            factor = SHADES[word]
    if color is None:
        return None
    return colors.shade(color, factor) if factor != 1.0 else color


def _is_adjective(word: str) -> bool:
    return (word in colors.NAMED or word in colors.MATERIALS or word in colors.HAIR or word in colors.SKIN
            or word in colors.EYES or word in SHADES or word in HAIR_STYLE_WORDS or word in VERY)


class RuleBasedParser:
    """Reads a description with word lists; deterministic, no model needed."""

    def parse(self, description: str) -> avatar_pb2.AvatarParameters:
        text = description.lower().replace("-", " ").replace("t shirt", "tshirt")
        height, text = _height(text)
        tokens = re.findall(r"[a-z]+|[,.;:!?]", text)
        params = avatar_pb2.AvatarParameters()
        outfit: dict[str, common_pb2.Color | None] = {}
        accessories: list[str] = []
        used: set[int] = set()

        def adjectives(index: int) -> list[str]:
            """The run of adjective words right before tokens[index] (marks them used)."""
            start = index
            while start > 0 and _is_adjective(tokens[start - 1]):
                start -= 1
            used.update(range(start, index + 1))
            return tokens[start:index]

        # Archetypes first: their values are defaults the rest of the text may override.
        for token in tokens:
            archetype = ARCHETYPES.get(token)
            if archetype:
                self._apply_archetype(params, archetype, outfit, accessories)
        archetype_height = params.height_m if params.HasField("height_m") else None

        for i, token in enumerate(tokens):
            if token in HAIR_NOUNS:
                words = adjectives(i)
                color = _color([w for w in words if w not in HAIR_STYLE_WORDS or w in colors.HAIR], colors.HAIR)
                if color is not None:
                    params.hair_color.CopyFrom(color)
                for word in words:
                    if word in HAIR_STYLE_WORDS and word not in colors.HAIR:
                        params.hair_style = HAIR_STYLE_WORDS[word]
            elif token in EYE_NOUNS:
                color = _color(adjectives(i), colors.EYES)
                if color is not None:
                    params.eye_color.CopyFrom(color)
            elif token in SKIN_NOUNS:
                color = _color(adjectives(i), colors.SKIN)
                if color is not None:
                    params.skin_tone.CopyFrom(color)
            elif token in GARMENTS or token in DRESS_WORDS:
                color = _color(adjectives(i), {})
                if token == "jeans" and color is None:
                    color = colors.hex_color(colors.MATERIALS["jeans"])
                for kind in DRESS_WORDS.get(token, (GARMENTS.get(token),)):
                    outfit[kind] = color if color is not None else outfit.get(kind)
            elif token in ACCESSORY_WORDS:
                accessories.append(ACCESSORY_WORDS[token])
                used.add(i)

        for i, token in enumerate(tokens):
            if i in used:
                continue
            very = i > 0 and tokens[i - 1] in VERY
            if token in STANDALONE_HAIR_COLORS:
                params.hair_color.CopyFrom(colors.hex_color(colors.HAIR[STANDALONE_HAIR_COLORS[token]]))
            elif token in STANDALONE_STYLES:
                params.hair_style = HAIR_STYLE_WORDS[token]
            elif token in ("pointy", "pointed") and i + 1 < len(tokens) and tokens[i + 1] == "ears":
                accessories.append("elf_ears")
            elif token in ("broad", "wide") and i + 1 < len(tokens) and tokens[i + 1] in ("shoulders", "shouldered"):
                params.shoulder_width = 0.88
            elif token == "narrow" and i + 1 < len(tokens) and tokens[i + 1] in ("shoulders", "shouldered"):
                params.shoulder_width = 0.15
            elif token == "long" and i + 1 < len(tokens) and tokens[i + 1] in ("legs", "legged"):
                params.leg_ratio = 0.55
            elif token == "short" and i + 1 < len(tokens) and tokens[i + 1] in ("legs", "legged"):
                params.leg_ratio = 0.45
            elif token in ("big", "large") and i + 1 < len(tokens) and tokens[i + 1] == "head":
                params.head_scale = 1.15
            elif token == "small" and i + 1 < len(tokens) and tokens[i + 1] == "head":
                params.head_scale = 0.9
            elif token in HEIGHT_WORDS and (token != "short" or not self._describes_thing(tokens, i)):
                base = HEIGHT_WORDS[token] + (0.1 if very and HEIGHT_WORDS[token] > 1.7 else -0.1 if very else 0.0)
                # "short dwarf", "tall elf": relative to the folk's own height when one is named.
                params.height_m = archetype_height * base / AVERAGE_HEIGHT if archetype_height else base
                if token in BUILD_WORDS:
                    params.build = BUILD_WORDS[token]
            elif token in BUILD_WORDS and not self._describes_thing(tokens, i):
                params.build = min(1.0, BUILD_WORDS[token] + (0.1 if very and BUILD_WORDS[token] > 0.5 else -0.08 if very else 0.0))

        if height is not None:
            lo, hi = catalogue.RANGES["height_m"]
            params.height_m = min(hi, max(lo, height))
        self._finish(params, outfit, accessories)
        return params

    @staticmethod
    def _describes_thing(tokens: list[str], i: int) -> bool:
        """Whether an adjective at i belongs to a noun ("short hair", "big belt") rather than the person."""
        for word in tokens[i + 1 : i + 4]:
            if word in HAIR_NOUNS or word in GARMENTS or word in ACCESSORY_WORDS or word in DRESS_WORDS or word in ("sleeves", "head"):
                return True
            if not _is_adjective(word):
                return False
        return False

    @staticmethod
    def _apply_archetype(params, archetype: dict, outfit: dict, accessories: list[str]) -> None:
        for name in ("height_m", "build", "shoulder_width", "leg_ratio", "head_scale"):
            if name in archetype:
                setattr(params, name, archetype[name])
        if "skin_tone" in archetype:
            params.skin_tone.CopyFrom(colors.hex_color(colors.SKIN[archetype["skin_tone"]]))
        for kind, word in archetype.get("outfit", {}).items():
            outfit[kind] = _color([word], {})
        accessories.extend(archetype.get("accessories", []))

    @staticmethod
    def _finish(params, outfit: dict, accessories: list[str]) -> None:
        slots: dict[str, str] = {}
        for kind in outfit:  # later words win a slot ("robe ... trousers": trousers)
            slots[catalogue.OUTFIT_SLOTS[kind]] = kind
        for kind in slots.values():
            piece = params.outfit.add(kind=kind)
            if outfit[kind] is not None:
                piece.color.CopyFrom(outfit[kind])
        params.accessories.extend(name for name in catalogue.ACCESSORIES if name in set(accessories))


def parse(description: str) -> avatar_pb2.AvatarParameters:
    return RuleBasedParser().parse(description)
