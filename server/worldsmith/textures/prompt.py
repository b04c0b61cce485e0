"""Reading a material prompt: which preset it names, and what its colour and modifier words ask for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from worldsmith.textures.presets import FALLBACK, PRESETS, Preset

COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.60, 0.14, 0.10), "crimson": (0.55, 0.08, 0.10), "orange": (0.85, 0.45, 0.12),
    "yellow": (0.86, 0.76, 0.22), "gold": (0.83, 0.66, 0.26), "golden": (0.83, 0.66, 0.26),
    "green": (0.22, 0.50, 0.16), "olive": (0.42, 0.44, 0.18), "teal": (0.10, 0.48, 0.48),
    "blue": (0.16, 0.30, 0.66), "navy": (0.08, 0.12, 0.35), "purple": (0.45, 0.20, 0.55),
    "pink": (0.90, 0.56, 0.65), "brown": (0.40, 0.26, 0.14), "tan": (0.76, 0.64, 0.46),
    "beige": (0.82, 0.74, 0.58), "cream": (0.92, 0.88, 0.76), "grey": (0.50, 0.50, 0.50),
    "gray": (0.50, 0.50, 0.50), "black": (0.06, 0.06, 0.06), "white": (0.92, 0.92, 0.90),
    "copper": (0.72, 0.45, 0.24), "bronze": (0.55, 0.40, 0.22), "brass": (0.76, 0.62, 0.32),
    "silver": (0.80, 0.80, 0.82), "iron": (0.45, 0.45, 0.46), "steel": (0.62, 0.63, 0.65),
    "oak": (0.60, 0.43, 0.25), "pine": (0.78, 0.60, 0.38), "walnut": (0.36, 0.23, 0.14),
    "mahogany": (0.46, 0.19, 0.11), "cherry": (0.60, 0.31, 0.19), "birch": (0.85, 0.75, 0.56),
    "ebony": (0.12, 0.09, 0.07), "sandstone": (0.78, 0.64, 0.44), "terracotta": (0.72, 0.36, 0.22),
}

# Word -> {parameter: value}; "*x" multiplies the preset's value, "frequency" is the preset's
# feature-count parameter. Parameters a preset lacks are skipped.
MODIFIERS: dict[str, dict[str, float | str]] = {
    **dict.fromkeys(("mossy", "overgrown", "moss-covered"), {"moss": 0.6}),
    **dict.fromkeys(("rusty", "rusted", "corroded", "rust"), {"rust": 0.6}),
    **dict.fromkeys(("old", "worn", "weathered", "aged", "ancient", "damaged", "cracked", "broken", "chipped"),
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

TONES: dict[str, float | str] = {"dark": 0.55, "light": "lighten", "pale": "lighten", "bright": 1.25}


@dataclass
class PromptReading:
    """What a prompt asks of the procedural backend."""

    preset: str
    parameters: dict = field(default_factory=dict)
    # The words that were understood, for the recipe and for debugging a surprising choice.
    matched: list[str] = field(default_factory=list)


def words(prompt: str) -> list[str]:
    return re.findall(r"[a-z]+(?:-[a-z]+)*", prompt.lower())


def choose_preset(tokens: list[str]) -> tuple[Preset, str | None]:
    """The preset whose noun comes last (English puts the head noun last: "stone bricks"),
    else whose adjective comes last, else the fallback."""
    for kind in ("nouns", "adjectives"):
        for token in reversed(tokens):
            singular = token[:-1] if token.endswith("s") else token
            for preset in PRESETS.values():
                keywords = getattr(preset, kind)
                if token in keywords or singular in keywords:
                    return preset, token
    return PRESETS[FALLBACK], None


def read(prompt: str, preset_name: str = "") -> PromptReading:
    """Pick the preset (unless named) and turn colour and modifier words into its parameters."""
    tokens = words(prompt)
    if preset_name:
        preset, noun = PRESETS[preset_name], None
    else:
        preset, noun = choose_preset(tokens)
    reading = PromptReading(preset.name, matched=[noun] if noun else [])
    values = preset.defaults()
    changed: dict = {}
    tone: float | str | None = None
    for token in tokens:
        if token in COLOURS and "color" in values:
            changed["color"] = COLOURS[token]
            reading.matched.append(token)
        elif token in TONES:
            tone = TONES[token]
            reading.matched.append(token)
        for name, value in MODIFIERS.get(token, {}).items():
            name = preset.frequency if name == "frequency" else name
            if name not in values:
                continue
            base = changed.get(name, values[name])
            changed[name] = base * float(value[1:]) if isinstance(value, str) else value
            reading.matched.append(token)
    if tone is not None:
        colour = changed.get("color", values["color"])
        changed["color"] = _toned(colour, tone)
    reading.parameters = {name: _fit(preset, name, value) for name, value in changed.items()}
    return reading


def _toned(colour, tone) -> tuple[float, float, float]:
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
