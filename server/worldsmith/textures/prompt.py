"""Reading a material prompt: which preset it names, and what its material, colour and modifier words ask for.

Words are lower-cased, hyphenated words not known whole are split ("red-brick"), and each is
looked up as written, then singular ("floorboards" -> "floorboard", "cobbles" -> "cobble").

The preset: the last preset noun of the main phrase, the words before "with", "in", "under"...
(English puts the head noun last: "stone bricks" are bricks; "cobblestone path with moss" is
cobblestone, the moss a modifier); else the last preset noun anywhere; else the last adjective
that implies one ("wooden", "oak", "rocky"); else a surface word's usual material ("floor":
planks, "road": cobblestone, "ground": dirt). A stone word before a surface word
means masonry ("stone wall": bricks, "stone path": cobblestone, "slate floor": tiles), in
that stone's colour. When no word names a material the reading falls
back to rock (`FALLBACK`), a neutral natural surface, `matched` then holds no preset word, and
colour and modifier words still apply.

Colour: a material word ("oak", "slate", "sandstone") sets the base colour of whichever preset
was chosen ("stone bricks" are grey); a colour word ("red", "grey") sets it too, or, next to a
material word, tints the material's colour halfway ("red oak"); tone words ("dark", "pale")
then darken or lighten the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from worldsmith.textures.presets import FALLBACK, PRESETS, Preset

Colour = tuple[float, float, float]

COLOURS: dict[str, Colour] = {
    "red": (0.52, 0.20, 0.14), "crimson": (0.50, 0.10, 0.11), "orange": (0.80, 0.45, 0.15),
    "yellow": (0.82, 0.72, 0.28), "gold": (0.83, 0.66, 0.26), "golden": (0.83, 0.66, 0.26),
    "green": (0.24, 0.42, 0.16), "olive": (0.42, 0.43, 0.20), "teal": (0.12, 0.45, 0.45),
    "blue": (0.18, 0.30, 0.60), "navy": (0.09, 0.13, 0.33), "purple": (0.42, 0.22, 0.50),
    "pink": (0.85, 0.58, 0.64), "brown": (0.42, 0.29, 0.18), "tan": (0.74, 0.63, 0.46),
    "beige": (0.80, 0.73, 0.60), "cream": (0.90, 0.86, 0.75), "grey": (0.50, 0.50, 0.49),
    "gray": (0.50, 0.50, 0.49), "black": (0.07, 0.07, 0.07), "white": (0.90, 0.90, 0.88),
    "silver": (0.80, 0.80, 0.82),
}

# Materials: their colour, for whichever preset the prompt's head noun chose.
MATERIALS: dict[str, Colour] = {
    "oak": (0.58, 0.42, 0.25), "oaken": (0.58, 0.42, 0.25), "pine": (0.76, 0.60, 0.40),
    "spruce": (0.78, 0.66, 0.48), "walnut": (0.36, 0.24, 0.15), "mahogany": (0.45, 0.21, 0.13),
    "cherry": (0.58, 0.32, 0.20), "birch": (0.84, 0.74, 0.57), "maple": (0.80, 0.66, 0.47),
    "beech": (0.76, 0.58, 0.42), "ash": (0.78, 0.68, 0.52), "cedar": (0.64, 0.40, 0.26),
    "teak": (0.56, 0.38, 0.20), "ebony": (0.12, 0.09, 0.07),
    "stone": (0.50, 0.48, 0.45), "granite": (0.55, 0.53, 0.52), "slate": (0.30, 0.32, 0.35),
    "basalt": (0.24, 0.24, 0.25), "limestone": (0.74, 0.71, 0.63), "sandstone": (0.74, 0.60, 0.42),
    "marble": (0.90, 0.89, 0.86), "terracotta": (0.68, 0.36, 0.22), "clay": (0.60, 0.40, 0.28),
    "copper": (0.72, 0.45, 0.24), "bronze": (0.55, 0.40, 0.22), "brass": (0.76, 0.62, 0.32),
    "snow": (0.90, 0.92, 0.95), "snowfield": (0.90, 0.92, 0.95), "snowdrift": (0.90, 0.92, 0.95),
    "ice": (0.74, 0.85, 0.92), "iron": (0.45, 0.45, 0.46), "steel": (0.62, 0.63, 0.65), "aluminium": (0.80, 0.81, 0.82),
    "aluminum": (0.80, 0.81, 0.82), "chrome": (0.75, 0.76, 0.78), "tin": (0.70, 0.70, 0.70),
}

# Surfaces name where a material goes, not what it is: the preset they imply when nothing else does.
SURFACES: dict[str, str] = {
    "floor": "planks", "flooring": "planks", "panelling": "planks", "paneling": "planks",
    "road": "cobblestone", "street": "cobblestone", "path": "cobblestone", "courtyard": "cobblestone",
    "alley": "cobblestone", "square": "cobblestone", "ground": "dirt", "trail": "dirt", "wall": "bricks",
    "roof": "tiles", "countertop": "marble", "mountain": "rock",
}

# A stone named with a surface is built of: "stone wall" is masonry, not a cliff face.
STONES = frozenset(("stone", "granite", "slate", "limestone", "sandstone", "basalt", "flint"))
MASONRY: dict[str, str] = {
    "wall": "bricks", "floor": "tiles", "flooring": "tiles", "road": "cobblestone", "street": "cobblestone",
    "path": "cobblestone", "courtyard": "cobblestone", "alley": "cobblestone", "square": "cobblestone",
}

# Word -> {parameter: value}; "*x" multiplies the preset's value, "frequency" is the preset's
# feature-count parameter. Parameters a preset lacks are skipped.
MODIFIERS: dict[str, dict[str, float | str]] = {
    **dict.fromkeys(("mossy", "overgrown", "moss-covered", "moss", "mossed", "lichen"), {"moss": 0.6}),
    **dict.fromkeys(("rusty", "rusted", "corroded", "rust"), {"rust": 0.6}),
    **dict.fromkeys(("old", "worn", "weathered", "aged", "ancient", "damaged", "cracked", "broken", "chipped",
                     "rustic", "distressed"),
                    {"wear": 0.8, "variation": "*1.5"}),
    **dict.fromkeys(("new", "clean", "pristine"), {"wear": 0.05, "moss": 0.0, "rust": 0.0}),
    **dict.fromkeys(("polished", "glossy", "shiny", "lacquered", "glazed", "wet", "varnished"), {"roughness": "*0.4"}),
    **dict.fromkeys(("rough", "matte", "unfinished", "raw"), {"roughness": "*1.25"}),
    **dict.fromkeys(("dry", "dead", "autumn", "parched"), {"dry": 0.7}),
    **dict.fromkeys(("lush", "fresh"), {"dry": 0.0}),
    **dict.fromkeys(("large", "big", "huge", "giant", "wide"), {"frequency": "*0.6"}),
    **dict.fromkeys(("small", "tiny", "fine", "narrow", "mosaic"), {"frequency": "*1.7"}),
    **dict.fromkeys(("brushed",), {"brushed": 0.9}),
    **dict.fromkeys(("scratched", "scuffed"), {"scratches": 0.8}),
    **dict.fromkeys(("pebbly", "gravelly", "gravel", "stony"), {"pebbles": 0.8}),
    **dict.fromkeys(("deep", "chunky"), {"bump": "*1.6"}),
    **dict.fromkeys(("flat", "smooth"), {"bump": "*0.5", "ridges": 0.2}),
    **dict.fromkeys(("jagged", "craggy", "sharp"), {"ridges": 0.9}),
}

TONES: dict[str, float | str] = {"dark": 0.6, "darker": 0.6, "light": "lighten", "pale": "lighten",
                                 "bright": 1.2, "bleached": "lighten"}

# Words after which the prompt describes additions, not the material itself.
CLAUSES = frozenset(("with", "in", "under", "among", "between", "through", "beneath", "covered", "by", "and", "near"))


@dataclass
class PromptReading:
    """What a prompt asks of the procedural backend."""

    preset: str
    parameters: dict = field(default_factory=dict)
    # The words that were understood, for the recipe and for debugging a surprising choice.
    matched: list[str] = field(default_factory=list)


def words(prompt: str) -> list[str]:
    """The prompt's words, lower-case; a hyphenated word no table knows whole becomes its parts."""
    known = MODIFIERS.keys() | COLOURS.keys() | MATERIALS.keys()
    tokens: list[str] = []
    for word in re.findall(r"[a-z]+(?:-[a-z]+)*", prompt.lower()):
        tokens.extend([word] if "-" not in word or word in known or _preset_word(word) else word.split("-"))
    return tokens


def singular(word: str) -> str:
    """English plural to singular, for the regular forms material names take."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def lookup(word: str, table) -> str | None:
    """The form of `word` (as written, else singular) that `table` holds, or None."""
    for form in (word, singular(word)):
        if form in table:
            return form
    return None


def choose_preset(tokens: list[str]) -> tuple[Preset, str | None]:
    """The preset the words name and the word that named it (None: the fallback); the order is
    the module docstring's."""
    main = tokens[:next((i for i, token in enumerate(tokens) if token in CLAUSES and i > 0), len(tokens))]
    for kind, span in (("nouns", main), ("nouns", tokens), ("adjectives", tokens)):
        for position in reversed(range(len(span))):
            token = span[position]
            for preset in PRESETS.values():
                if lookup(token, getattr(preset, kind)):
                    built = next((lookup(later, MASONRY) for later in span[position + 1:] if lookup(later, MASONRY)), None)
                    if built and lookup(token, STONES):
                        return PRESETS[MASONRY[built]], built
                    return preset, token
    for token in reversed(tokens):
        surface = lookup(token, SURFACES)
        if surface:
            return PRESETS[SURFACES[surface]], token
    return PRESETS[FALLBACK], None


def read(prompt: str, preset_name: str = "") -> PromptReading:
    """Pick the preset (unless named) and turn material, colour and modifier words into its parameters."""
    tokens = words(prompt)
    if preset_name:
        preset, noun = PRESETS[preset_name], None
    else:
        preset, noun = choose_preset(tokens)
    matched = [noun] if noun else []
    values = preset.defaults()
    changed: dict = {}
    material: Colour | None = None
    colour: Colour | None = None
    tone: float | str | None = None
    for token in tokens:
        understood = False
        if lookup(token, MATERIALS):
            material, understood = MATERIALS[lookup(token, MATERIALS)], True
        if token in COLOURS:
            colour, understood = COLOURS[token], True
        if token in TONES:
            tone, understood = TONES[token], True
        for name, value in MODIFIERS.get(lookup(token, MODIFIERS) or "", {}).items():
            name = preset.frequency if name == "frequency" else name
            if name not in values:
                continue
            base = changed.get(name, values[name])
            changed[name] = base * float(value[1:]) if isinstance(value, str) else value
            understood = True
        if understood and token not in matched:
            matched.append(token)
    if "color" in values and (material or colour or tone is not None):
        base = material or values["color"]
        if colour is not None:
            base = colour if material is None else tuple((m + c) / 2 for m, c in zip(material, colour))
        changed["color"] = _toned(base, tone) if tone is not None else base
    parameters = {name: _fit(preset, name, value) for name, value in changed.items()}
    return PromptReading(preset.name, parameters, matched)


def _preset_word(word: str) -> bool:
    return any(lookup(word, preset.keywords) for preset in PRESETS.values()) or lookup(word, SURFACES) is not None


def _toned(colour, tone) -> Colour:
    if tone == "lighten":
        return tuple(c + (1 - c) * 0.4 for c in colour)
    return tuple(min(1.0, c * tone) for c in colour)


def _fit(preset: Preset, name: str, value):
    """Keep a derived value inside the parameter's range (and whole where it must be)."""
    parameter = preset.parameters[name]
    if parameter.is_colour:
        return tuple(float(min(1.0, max(0.0, c))) for c in value)
    value = min(parameter.high, max(parameter.low, float(value)))
    return float(round(value)) if parameter.integer else value
