"""The model parser: a text generator reads the description into parameters, decoded under the
parameter schema's grammar, so every finished answer is a valid set of parameters."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import catalogue, colors
from worldsmith.avatars.describe import RuleBasedParser
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.generation import TextEngine
from worldsmith.runtime.structured import StructuredModel

INSTRUCTIONS = """You turn a description of a game character into avatar parameters.
Reply with JSON only. Give only what the description says or clearly implies; leave the rest out.
height_m is the stature in metres. build: 0 slim .. 1 heavy. shoulder_width: 0 narrow .. 1 broad.
leg_ratio: hip height over stature (0.5 typical). head_scale: 1 typical, more for children and dwarves.
femininity: 0 a man's figure .. 1 a woman's. age in years. muscle: 0 soft .. 1 very muscular.
body_plan: dwarf (short, broad, heavy, usually bearded) or elf (tall, slender, pointed ears), else human.
beard_style and moustache_style only when the description gives the person a beard or moustache
(or a dwarf); facial_hair_color when it names the beard's colour.
Colours are colour names; outfit pieces cover the torso, legs, feet, hands, front (an apron) or back,
one piece each: a robe, dress or gown (a long dress), armour (plate_armour, leather_armour) or a shirt or jacket on the torso."""

CLOTH_COLORS = sorted(set(colors.NAMED) | set(colors.MATERIALS))


def parameter_schema() -> dict:
    """JSON Schema of what the model may write: bounded numbers and named choices only."""

    def number(name: str) -> dict:
        lo, hi = catalogue.RANGES[name]
        return {"type": "number", "minimum": lo, "maximum": hi}

    piece = {
        "type": "object",
        "properties": {"kind": {"enum": list(catalogue.OUTFIT_KINDS)}, "color": {"enum": CLOTH_COLORS}},
        "required": ["kind"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "height_m": number("height_m"),
            "build": number("build"),
            "shoulder_width": number("shoulder_width"),
            "leg_ratio": number("leg_ratio"),
            "head_scale": number("head_scale"),
            "femininity": number("femininity"),
            "age": number("age"),
            "muscle": number("muscle"),
            "body_plan": {"enum": list(catalogue.BODY_PLANS)},
            "beard_style": {"enum": list(catalogue.BEARD_STYLES)},
            "moustache_style": {"enum": list(catalogue.MOUSTACHE_STYLES)},
            "facial_hair_color": {"enum": sorted(set(colors.HAIR) | set(colors.NAMED))},
            "skin_tone": {"enum": sorted(colors.SKIN)},
            "hair_style": {"enum": list(catalogue.HAIR_STYLES)},
            "hair_color": {"enum": sorted(set(colors.HAIR) | set(colors.NAMED))},
            "eye_color": {"enum": sorted(colors.EYES)},
            "outfit": {"type": "array", "items": piece, "maxItems": len(set(catalogue.OUTFIT_SLOTS.values()))},
            "accessories": {"type": "array", "items": {"enum": list(catalogue.ACCESSORIES)}, "maxItems": len(catalogue.ACCESSORIES)},
        },
        "additionalProperties": False,
    }


def parameters_from_answer(answer: dict) -> avatar_pb2.AvatarParameters:
    """The model's JSON as parameters. Numbers are clamped and repeats dropped, so even an answer
    from outside the grammar cannot become an invalid request."""
    params = avatar_pb2.AvatarParameters()
    for name, (lo, hi) in catalogue.RANGES.items():
        if isinstance(answer.get(name), (int, float)):
            setattr(params, name, min(hi, max(lo, float(answer[name]))))
    hair = {**colors.NAMED, **colors.HAIR}
    for name, table in (("skin_tone", colors.SKIN), ("hair_color", hair), ("eye_color", colors.EYES), ("facial_hair_color", hair)):
        if answer.get(name) in table:
            getattr(params, name).CopyFrom(colors.hex_color(table[answer[name]]))
    for name, options in (("hair_style", catalogue.HAIR_STYLES), ("body_plan", catalogue.BODY_PLANS),
                          ("beard_style", catalogue.BEARD_STYLES), ("moustache_style", catalogue.MOUSTACHE_STYLES)):
        if answer.get(name) in options:
            setattr(params, name, answer[name])
    by_slot: dict[str, dict] = {}
    for piece in answer.get("outfit", []):
        if isinstance(piece, dict) and piece.get("kind") in catalogue.OUTFIT_SLOTS:
            by_slot[catalogue.OUTFIT_SLOTS[piece["kind"]]] = piece
    for piece in by_slot.values():
        added = params.outfit.add(kind=piece["kind"])
        color = piece.get("color")
        if color in colors.NAMED or color in colors.MATERIALS:
            added.color.CopyFrom(colors.hex_color(colors.NAMED.get(color) or colors.MATERIALS[color]))
    wanted = set(answer.get("accessories", []))
    params.accessories.extend(name for name in catalogue.ACCESSORIES if name in wanted)
    return params


class LlmParser(StructuredModel):
    """Reads descriptions with a text engine. An answer cut short by the token budget (runtime/structured.py)
    falls back to the rule-based parser, and `parse` says which one read it, and why."""

    def __init__(self, generator: TextEngine, max_new_tokens: int = 256, temperature: float = 0.2):
        super().__init__(generator, max_new_tokens, temperature)

    async def parse(self, description: str, seed: int, ctx: CallContext) -> tuple[avatar_pb2.AvatarParameters, str]:
        """Parameters the description names, and the reader's name ("llm", or the fallback's)."""
        messages = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": description}]
        return await self.answer(
            messages, parameter_schema(), seed & 0xFFFFFFFF, ctx,
            read=lambda value: (parameters_from_answer(value), self.name),
            fall_back=lambda reason: (RuleBasedParser().parse(description), f"rules ({reason})"),
        )
