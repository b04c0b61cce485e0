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
    "burly": 0.88, "stocky": 0.85, "stout": 0.88, "heavy": 0.9, "heavyset": 0.92, "chubby": 0.88, "plump": 0.9, "fat": 1.0,
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
    "jumper": "jacket", "blazer": "jacket", "doublet": "jacket",
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

# Archetypes set soft defaults; explicit words in the same text override them. "leans" is the
# figure a folk or calling suggests when no word names the person's sex.
WOMAN = {"femininity": 1.0}
MAN = {"femininity": 0.0}
ARCHETYPES: dict[str, dict] = {
    "elf": {"body_plan": "elf", "accessories": ["elf_ears"], "build": 0.18, "height_m": 1.86, "leg_ratio": 0.53, "muscle": 0.25,
            "shoulder_width": 0.3},
    "dwarf": {"leans": 0.1, "body_plan": "dwarf", "height_m": 1.35, "build": 0.85, "shoulder_width": 0.95, "leg_ratio": 0.43, "head_scale": 1.22,
              "muscle": 0.8, "beard_style": "full"},
    "orc": {"leans": 0.1, "skin_tone": "green", "build": 0.9, "height_m": 1.92, "shoulder_width": 0.9, "muscle": 0.85},
    "halfling": {"height_m": 1.1, "head_scale": 1.1, "leg_ratio": 0.46},
    "giant": {"leans": 0.1, "height_m": 2.3, "build": 0.9, "shoulder_width": 0.9, "muscle": 0.8},
    "child": {"height_m": 1.3, "head_scale": 1.15, "build": 0.35, "age": 9.0},
    "woman": {**WOMAN, "height_m": 1.66, "shoulder_width": 0.3},
    "girl": {**WOMAN, "height_m": 1.55, "shoulder_width": 0.25, "head_scale": 1.06, "age": 15.0},
    "man": {**MAN, "height_m": 1.78, "shoulder_width": 0.62},
    "boy": {**MAN, "height_m": 1.5, "shoulder_width": 0.4, "head_scale": 1.06, "age": 13.0},
    "grandmother": {**WOMAN, "height_m": 1.62, "age": 74.0},
    "grandfather": {**MAN, "height_m": 1.74, "age": 74.0},
    "queen": {**WOMAN, "outfit": {"gown": "crimson"}, "accessories": ["necklace"]},
    "princess": {**WOMAN, "age": 19.0, "outfit": {"gown": "pink"}, "accessories": ["necklace"]},
    "king": {**MAN, "outfit": {"robe": "crimson", "boots": "black"}, "accessories": ["belt"]},
    "ranger": {"outfit": {"shirt": "forest", "trousers": "brown", "boots": "leather", "cloak": "forest"}, "accessories": ["belt"]},
    "archer": {"outfit": {"leather_armour": "leather", "trousers": "brown", "boots": "leather", "gloves": "leather"}, "accessories": ["belt"]},
    "knight": {"leans": 0.1, "outfit": {"plate_armour": "steel", "trousers": "iron", "boots": "iron", "gloves": "steel"}, "muscle": 0.7},
    "paladin": {"leans": 0.1, "outfit": {"plate_armour": "silver", "trousers": "iron", "boots": "iron", "gloves": "steel"}, "muscle": 0.7},
    "warrior": {"leans": 0.1, "outfit": {"leather_armour": "leather", "trousers": "leather", "boots": "leather", "gloves": "leather"},
                "build": 0.75, "muscle": 0.8},
    "barbarian": {"leans": 0.1, "outfit": {"leather_armour": "fur", "trousers": "leather", "boots": "fur"}, "build": 0.7,
                  "muscle": 0.9, "shoulder_width": 0.9},
    "soldier": {"outfit": {"jacket": "olive", "trousers": "olive", "boots": "black"}, "accessories": ["belt"]},
    "blacksmith": {"leans": 0.1, "outfit": {"shirt": "linen", "trousers": "brown", "boots": "leather", "apron": "leather"}, "muscle": 0.85},
    "smith": {"leans": 0.1, "outfit": {"shirt": "linen", "trousers": "brown", "boots": "leather", "apron": "leather"}, "muscle": 0.85},
    "innkeeper": {"outfit": {"shirt": "cream", "trousers": "brown", "shoes": "brown", "apron": "linen"}},
    "barkeep": {"outfit": {"shirt": "cream", "trousers": "brown", "shoes": "brown", "apron": "linen"}},
    "cook": {"outfit": {"shirt": "white", "trousers": "charcoal", "shoes": "black", "apron": "white"}},
    "wizard": {"leans": 0.1, "outfit": {"robe": "navy", "shoes": "brown"}},
    "mage": {"outfit": {"robe": "purple", "shoes": "brown"}},
    "sorcerer": {"outfit": {"robe": "black", "shoes": "brown"}},
    "sorceress": {**WOMAN, "outfit": {"robe": "black", "shoes": "brown"}},
    "priest": {"outfit": {"robe": "white", "shoes": "brown"}},
    "priestess": {**WOMAN, "outfit": {"robe": "white", "shoes": "brown"}},
    "barmaid": {**WOMAN, "outfit": {"dress": "green", "shoes": "brown", "apron": "cream"}},
    "monk": {"leans": 0.1, "outfit": {"robe": "brown", "shoes": "brown"}, "hair_style": "buzz"},
    "witch": {**WOMAN, "outfit": {"dress": "black", "boots": "black", "cloak": "black"}},
    "pirate": {"outfit": {"shirt": "white", "trousers": "black", "boots": "black"}, "accessories": ["headband", "earrings", "belt"]},
    "rogue": {"outfit": {"jacket": "charcoal", "trousers": "black", "boots": "black", "gloves": "black", "cloak": "charcoal"}},
    "thief": {"outfit": {"jacket": "charcoal", "trousers": "black", "boots": "black", "gloves": "black"}},
    "doctor": {"outfit": {"jacket": "white", "trousers": "navy", "shoes": "black"}, "accessories": ["glasses"]},
    "scientist": {"outfit": {"jacket": "white", "trousers": "charcoal", "shoes": "black"}, "accessories": ["glasses"]},
    "farmer": {"outfit": {"shirt": "linen", "trousers": "brown", "boots": "brown"}},
    "athlete": {"outfit": {"shirt": "white", "shorts": "navy", "shoes": "white"}, "build": 0.55, "muscle": 0.7},
    "runner": {"outfit": {"shirt": "white", "shorts": "navy", "shoes": "white"}, "build": 0.4},
}
SYNONYMS = {
    "elven": "elf", "elvish": "elf", "dwarven": "dwarf", "dwarvish": "dwarf", "hobbit": "halfling", "kid": "child",
    "lady": "woman", "female": "woman", "gal": "woman", "maiden": "woman", "mother": "woman", "wife": "woman",
    "guy": "man", "male": "man", "gentleman": "man", "nobleman": "man", "noblewoman": "woman", "lass": "woman", "lad": "man", "father": "man", "husband": "man", "lord": "man",
    "grandma": "grandmother", "granny": "grandmother", "grandpa": "grandfather",
    "warlock": "sorcerer", "bartender": "barkeep", "tavernkeeper": "innkeeper",
    "chef": "cook", "armourer": "blacksmith", "armorer": "blacksmith", "bowman": "archer",
}
# Words that say the person's sex without an archetype's other defaults.
FEMININE_WORDS = {"she", "her", "feminine", "womanly", "priestess", "sorceress", "barmaid", "heroine", "waitress"}
MASCULINE_WORDS = {"he", "his", "masculine", "manly"}
NOT_MEN = {"shaman", "talisman", "german", "caiman", "superman"}
NOT_WOMEN = {"dress", "less", "mess", "press", "chess", "fortress", "harness", "wilderness", "darkness", "fitness", "business",
             "address", "access", "excess", "process", "tress", "tresses", "headdress", "bless"}
AGE_WORDS = {"young": 24.0, "youthful": 22.0, "teenage": 16.0, "teen": 16.0, "teenager": 16.0, "adolescent": 15.0,
             "old": 72.0, "elderly": 76.0, "aged": 70.0, "ancient": 88.0, "wizened": 82.0, "venerable": 80.0}
AGE_PATTERN = re.compile(r"(\d+)\s*(?:years?|yrs?|y/?o)(?:\s*old)?|aged\s+(\d+)|in (?:her|his|their) (\d)0s")
MUSCLE_WORDS = {"muscular": 0.95, "brawny": 0.9, "burly": 0.85, "strong": 0.8, "buff": 0.9, "ripped": 1.0, "athletic": 0.65,
                "stocky": 0.75, "stout": 0.6, "hulking": 0.95, "powerful": 0.85, "frail": 0.05, "skinny": 0.1, "thin": 0.12, "weak": 0.1,
                "fat": 0.15, "chubby": 0.2, "plump": 0.2, "portly": 0.25, "rotund": 0.2}
BROAD_WORDS = {"broad": 0.92, "stocky": 0.9, "stout": 0.85, "burly": 0.9, "hulking": 1.0, "brawny": 0.85, "muscular": 0.8, "barrel": 0.9,
               "slender": 0.2, "slim": 0.25, "thin": 0.2, "petite": 0.12, "narrow": 0.15}
BEARD_NOUNS = {"beard", "beards", "bearded", "goatee", "stubble", "stubbly", "unshaven", "moustache", "mustache",
               "moustached", "mustached", "moustaches", "mustaches", "whiskers", "sideburns"}
PERSON_BEARD_WORDS = {"bearded", "moustached", "mustached", "unshaven", "stubbly"}  # about the person, not a thing
BEARD_STYLE_WORDS = {"long": "long", "flowing": "long", "braided": "long", "forked": "long", "full": "full", "thick": "full",
                     "bushy": "full", "big": "full", "short": "short", "trimmed": "short", "neat": "short", "small": "short",
                     "goatee": "goatee", "stubble": "stubble", "stubbly": "stubble", "unshaven": "stubble"}
MOUSTACHE_STYLE_WORDS = {"handlebar": "handlebar", "walrus": "walrus", "bushy": "walrus", "thick": "walrus", "pencil": "pencil",
                         "thin": "pencil", "chevron": "chevron"}
CLEAN_SHAVEN = {"beardless", "shaven", "shaved", "clean"}
ARMOUR_NOUNS = {"armour", "armor", "armoured", "armored", "plate", "plates", "breastplate", "cuirass", "mail", "chainmail"}
GARMENT_KINDS = {"robe": "robe", "robes": "robe", "gown": "gown", "dress": "dress", "frock": "dress", "apron": "apron",
                 "smock": "apron", "breastplate": "plate_armour", "cuirass": "plate_armour", "chainmail": "plate_armour"}
LEATHER_WORDS = {"leather", "studded", "hide", "padded"}


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
            or word in colors.EYES or word in SHADES or word in HAIR_STYLE_WORDS or word in VERY
            or word in BEARD_STYLE_WORDS or word in MOUSTACHE_STYLE_WORDS or word in LEATHER_WORDS)


def _age(text: str) -> float | None:
    """An age written as a number ("40 year old", "aged 70", "in her 60s")."""
    match = AGE_PATTERN.search(text)
    if not match:
        return None
    if match.group(3):
        return float(match.group(3)) * 10.0 + 5.0
    return float(match.group(1) or match.group(2))


class RuleBasedParser:
    """Reads a description with word lists; deterministic, no model needed."""

    def parse(self, description: str) -> avatar_pb2.AvatarParameters:
        text = description.lower().replace("-", " ").replace("t shirt", "tshirt")
        age = _age(text)
        text = AGE_PATTERN.sub(" , ", text)
        height, text = _height(text)
        tokens = [SYNONYMS.get(token, token) for token in re.findall(r"[a-z]+|[,.;:!?]", text)]
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

        # Archetypes first: their values are defaults the rest of the text may override. Those that
        # say the person's sex go first, so a folk's or a calling's figure wins ("dwarf woman").
        named = [ARCHETYPES[token] for token in tokens if token in ARCHETYPES]
        for archetype in sorted(named, key=lambda archetype: "femininity" not in archetype):
            self._apply_archetype(params, archetype, outfit, accessories)
        archetype_height = params.height_m if params.HasField("height_m") else None
        archetype_beard = params.beard_style

        for i, token in enumerate(tokens):
            if token in HAIR_NOUNS:
                words = adjectives(i)
                color = _color([w for w in words if w not in HAIR_STYLE_WORDS or w in colors.HAIR], colors.HAIR)
                if color is not None:
                    params.hair_color.CopyFrom(color)
                for word in words:
                    if word in HAIR_STYLE_WORDS and word not in colors.HAIR:
                        params.hair_style = HAIR_STYLE_WORDS[word]
            elif token in BEARD_NOUNS:
                self._facial_hair(params, token, adjectives(i), archetype_beard)
            elif token in EYE_NOUNS:
                color = _color(adjectives(i), colors.EYES)
                if color is not None:
                    params.eye_color.CopyFrom(color)
            elif token in SKIN_NOUNS:
                color = _color(adjectives(i), colors.SKIN)
                if color is not None:
                    params.skin_tone.CopyFrom(color)
            elif token in GARMENTS or token in GARMENT_KINDS or token in ARMOUR_NOUNS:
                words = adjectives(i)
                kind = self._garment_kind(token, words, tokens[i + 1 : i + 2])
                if kind is None:
                    continue
                color = _color(words, {})
                if token == "jeans" and color is None:
                    color = colors.hex_color(colors.MATERIALS["jeans"])
                if kind in ("robe", "dress", "gown"):
                    outfit.pop("skirt", None)  # a robe or dress covers the legs: no skirt under it
                outfit[kind] = color if color is not None else outfit.get(kind)
            elif token in ACCESSORY_WORDS:
                accessories.append(ACCESSORY_WORDS[token])
                used.add(i)

        for i, token in enumerate(tokens):
            if i in used:
                continue
            very = i > 0 and tokens[i - 1] in VERY
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if token in STANDALONE_HAIR_COLORS:
                params.hair_color.CopyFrom(colors.hex_color(colors.HAIR[STANDALONE_HAIR_COLORS[token]]))
            elif token in STANDALONE_STYLES:
                params.hair_style = HAIR_STYLE_WORDS[token]
            elif token in CLEAN_SHAVEN and (token != "clean" or following in ("shaven", "shaved")):
                params.beard_style, params.moustache_style = "none", "none"
            elif token in FEMININE_WORDS or token.endswith("woman") or token.endswith("ess") and token not in NOT_WOMEN:
                params.femininity = 1.0  # "huntress", "swordswoman"
            elif token in MASCULINE_WORDS or (token.endswith("man") and len(token) > 5 and token not in NOT_MEN):
                params.femininity = 0.0  # "fisherman", "swordsman"
            elif token == "aged" and i > 0 and tokens[i - 1] == "middle":
                params.age = 47.0
            elif token in AGE_WORDS and not self._describes_thing(tokens, i):
                params.age = AGE_WORDS[token]
            elif token in ("pointy", "pointed") and following == "ears":
                accessories.append("elf_ears")
            elif token in ("broad", "wide") and following in ("shoulders", "shouldered"):
                params.shoulder_width = 0.92
                if not params.HasField("muscle"):
                    params.muscle = 0.65
            elif token == "narrow" and following in ("shoulders", "shouldered"):
                params.shoulder_width = 0.15
            elif token == "long" and following in ("legs", "legged"):
                params.leg_ratio = 0.55
            elif token == "short" and following in ("legs", "legged"):
                params.leg_ratio = 0.45
            elif token in ("big", "large") and following == "head":
                params.head_scale = 1.15
            elif token == "small" and following == "head":
                params.head_scale = 0.9
            else:
                self._figure(params, tokens, i, very, archetype_height)

        if not params.HasField("femininity"):
            # A dwarf, a knight or a bearded sailor is a man unless the text says otherwise.
            leans = [archetype["leans"] for archetype in named if "leans" in archetype]
            if params.beard_style not in ("", "none") or params.moustache_style not in ("", "none"):
                leans.append(0.1)
            if leans:
                params.femininity = leans[0]
        if age is not None:
            params.age = min(catalogue.RANGES["age"][1], max(catalogue.RANGES["age"][0], age))
        if height is not None:
            lo, hi = catalogue.RANGES["height_m"]
            params.height_m = min(hi, max(lo, height))
        self._finish(params, outfit, accessories)
        return params

    def _figure(self, params, tokens: list[str], i: int, very: bool, archetype_height: float | None) -> None:
        """Height, build, muscle and shoulder words about the person ("short stocky", "very tall")."""
        token = tokens[i]
        if self._describes_thing(tokens, i):
            return
        if token in HEIGHT_WORDS:
            base = HEIGHT_WORDS[token] + (0.1 if very and HEIGHT_WORDS[token] > 1.7 else -0.1 if very else 0.0)
            # "short dwarf", "tall elf": relative to the folk's own height when one is named.
            params.height_m = archetype_height * base / AVERAGE_HEIGHT if archetype_height else base
        if token in BUILD_WORDS:
            params.build = min(1.0, BUILD_WORDS[token] + (0.1 if very and BUILD_WORDS[token] > 0.5 else -0.08 if very else 0.0))
        if token in MUSCLE_WORDS:
            params.muscle = MUSCLE_WORDS[token]
        if token in BROAD_WORDS:
            params.shoulder_width = BROAD_WORDS[token]

    @staticmethod
    def _facial_hair(params, noun: str, words: list[str], archetype_beard: str) -> None:
        """A beard or moustache with its style and colour words ("long grey beard", "handlebar moustache")."""
        color = _color([w for w in words if w not in BEARD_STYLE_WORDS or w in colors.HAIR], colors.HAIR)
        if color is not None:
            params.facial_hair_color.CopyFrom(color)
        if noun.startswith(("moustache", "mustache")):
            styles = [MOUSTACHE_STYLE_WORDS[w] for w in words if w in MOUSTACHE_STYLE_WORDS]
            params.moustache_style = styles[-1] if styles else "chevron"
        elif noun in ("goatee", "stubble", "stubbly", "unshaven"):
            params.beard_style = BEARD_STYLE_WORDS[noun]
        elif noun == "whiskers" or noun == "sideburns":
            params.beard_style = params.beard_style or "short"
        else:
            styles = [BEARD_STYLE_WORDS[w] for w in words if w in BEARD_STYLE_WORDS]
            params.beard_style = styles[-1] if styles else (archetype_beard if archetype_beard not in ("", "none") else "full")

    @staticmethod
    def _garment_kind(token: str, words: list[str], following: list[str]) -> str | None:
        """The outfit kind a garment word names, given its adjectives ("leather armour", "plate")."""
        if token in ARMOUR_NOUNS:
            if token in ("plate", "plates", "mail") and not (following and following[0] in ARMOUR_NOUNS) and token != "mail":
                return None  # "plate" alone is a dish; "plate armour" is armour (read at "armour")
            if token in ("plate", "plates", "mail") and following and following[0] in ARMOUR_NOUNS:
                return None  # the armour noun that follows reads it
            return "leather_armour" if any(w in LEATHER_WORDS for w in words) else "plate_armour"
        if token in ("dress", "frock") and any(w in ("long", "flowing") for w in words):
            return "gown"
        return GARMENT_KINDS.get(token) or GARMENTS[token]

    @staticmethod
    def _describes_thing(tokens: list[str], i: int) -> bool:
        """Whether an adjective at i belongs to a noun ("short hair", "big belt") rather than the person."""
        for word in tokens[i + 1 : i + 4]:
            if (word in HAIR_NOUNS or word in GARMENTS or word in GARMENT_KINDS or word in ARMOUR_NOUNS or word in ACCESSORY_WORDS
                    or (word in BEARD_NOUNS and word not in PERSON_BEARD_WORDS) or word in ("sleeves", "head", "legs", "ears")):
                return True
            if not _is_adjective(word):
                return False
        return False

    @staticmethod
    def _apply_archetype(params, archetype: dict, outfit: dict, accessories: list[str]) -> None:
        for name in ("height_m", "build", "shoulder_width", "leg_ratio", "head_scale", "femininity", "age", "muscle"):
            if name in archetype:
                setattr(params, name, archetype[name])
        for name in ("body_plan", "beard_style", "hair_style"):
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
