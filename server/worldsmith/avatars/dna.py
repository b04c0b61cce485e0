"""Avatar DNA: checking a request, resolving every parameter, and the seeded random streams.

Parameters resolve in layers, later layers winning field by field:
  seed defaults  <-  request.dna.parameters  <-  what the description says  <-  request.parameters
Lists follow the same rule except that the description changes the outfit slot by slot and
adds accessories, while explicit `parameters.outfit` / `parameters.accessories` replace the list.
The resolved parameters plus the seed are the DNA: the same DNA gives the same bytes.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import catalogue, colors
from worldsmith.errors import InvalidArgument

SCALARS = ("height_m", "build", "shoulder_width", "leg_ratio", "head_scale", "femininity", "age", "muscle")
COLORS = ("skin_tone", "hair_color", "eye_color", "facial_hair_color")
# Named choices: the field and the catalogue it picks from.
CHOICES = {
    "hair_style": catalogue.HAIR_STYLES,
    "body_plan": catalogue.BODY_PLANS,
    "beard_style": catalogue.BEARD_STYLES,
    "moustache_style": catalogue.MOUSTACHE_STYLES,
}
SLOT_ORDER = ("torso", "legs", "feet", "hands", "front", "back")


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random generator per purpose, so one part's draws never shift another's."""
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32, zlib.crc32(name.encode())])


# -- checking ---------------------------------------------------------------------------
def validate(request: avatar_pb2.CreateAvatarRequest, max_texture_size: int) -> None:
    """Raise InvalidArgument naming every bad field; nothing else is checked later."""
    violations: list[tuple[str, str]] = []
    has_parameters = bool(request.parameters.ListFields())
    if not request.description.strip() and not has_parameters and not request.HasField("dna"):
        violations.append(("description", "the request is empty: give a description, parameters or a dna, "
                                          "e.g. description: \"tall elf ranger, green cloak\""))
    if len(request.description) > catalogue.MAX_DESCRIPTION_CHARS:
        violations.append(("description", f"is {len(request.description)} characters; at most {catalogue.MAX_DESCRIPTION_CHARS}"))
    _check_parameters(request.parameters, "parameters", violations)
    if request.HasField("dna"):
        if request.dna.version not in (0, catalogue.DNA_VERSION):
            violations.append(("dna.version", f"version {request.dna.version} is not supported; this server reads version {catalogue.DNA_VERSION}"))
        _check_parameters(request.dna.parameters, "dna.parameters", violations)
    if len(request.lods) > catalogue.MAX_LODS:
        violations.append(("lods", f"{len(request.lods)} LODs asked; at most {catalogue.MAX_LODS}"))
    seen: set[float] = set()
    for i, ratio in enumerate(request.lods):
        if not (math.isfinite(ratio) and catalogue.MIN_LOD_RATIO <= ratio <= 1.0):
            violations.append((f"lods[{i}]", f"{ratio} is not a triangle ratio in [{catalogue.MIN_LOD_RATIO}, 1], e.g. [1, 0.5, 0.25]"))
        elif ratio in seen:
            violations.append((f"lods[{i}]", f"{ratio} is listed twice"))
        seen.add(ratio)
    size = request.texture_size
    if size and (size & (size - 1) or not catalogue.MIN_TEXTURE_SIZE <= size <= max_texture_size):
        violations.append(("texture_size", f"{size} is not a power of two in [{catalogue.MIN_TEXTURE_SIZE}, {max_texture_size}] "
                                           f"(0 means {catalogue.DEFAULT_TEXTURE_SIZE})"))
    if violations:
        raise InvalidArgument.many(violations)


def _check_parameters(params: avatar_pb2.AvatarParameters, prefix: str, violations: list[tuple[str, str]]) -> None:
    for name in SCALARS:
        if params.HasField(name):
            value = getattr(params, name)
            lo, hi = catalogue.RANGES[name]
            # Proto floats are float32: 2.4 arrives as 2.4000000954, which is still in range.
            if not (math.isfinite(value) and np.float32(lo) <= value <= np.float32(hi)):
                unit = {"height_m": " m", "age": " years"}.get(name, "")
                violations.append((f"{prefix}.{name}", f"{value:g}{unit} is outside [{lo:g}, {hi:g}]{unit}"))
    for name in COLORS:
        if params.HasField(name):
            _check_color(getattr(params, name), f"{prefix}.{name}", violations)
    for name, options in CHOICES.items():
        value = getattr(params, name)
        if value and value not in options:
            violations.append((f"{prefix}.{name}", f"unknown {name.replace('_', ' ')} {value!r}; one of {', '.join(options)}"))
    slots: dict[str, int] = {}
    for i, piece in enumerate(params.outfit):
        field = f"{prefix}.outfit[{i}]"
        if piece.kind not in catalogue.OUTFIT_SLOTS:
            violations.append((f"{field}.kind", f"unknown outfit piece {piece.kind!r}; one of {', '.join(catalogue.OUTFIT_KINDS)}"))
            continue
        slot = catalogue.OUTFIT_SLOTS[piece.kind]
        if slot in slots:
            violations.append((f"{field}.kind", f"{piece.kind!r} covers the {slot}, already covered by outfit[{slots[slot]}]"))
        slots[slot] = i
        if piece.HasField("color"):
            _check_color(piece.color, f"{field}.color", violations)
    seen: set[str] = set()
    for i, name in enumerate(params.accessories):
        if name not in catalogue.ACCESSORIES:
            violations.append((f"{prefix}.accessories[{i}]", f"unknown accessory {name!r}; one of {', '.join(catalogue.ACCESSORIES)}"))
        elif name in seen:
            violations.append((f"{prefix}.accessories[{i}]", f"{name!r} is listed twice"))
        seen.add(name)


def _check_color(color: common_pb2.Color, field: str, violations: list[tuple[str, str]]) -> None:
    for channel in ("r", "g", "b", "a"):
        value = getattr(color, channel)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            violations.append((f"{field}.{channel}", f"{value:g} is outside [0, 1] (linear RGB)"))


# -- resolving --------------------------------------------------------------------------
def resolve(request: avatar_pb2.CreateAvatarRequest, described: avatar_pb2.AvatarParameters) -> avatar_pb2.AvatarDna:
    """The complete DNA for a valid request; `described` is what the description said."""
    seed = request.seed or (request.dna.seed if request.HasField("dna") else 0)
    layers = ([request.dna.parameters] if request.HasField("dna") else []) + [described, request.parameters]
    given = avatar_pb2.AvatarParameters()
    for layer in layers:
        _overlay(given, layer)
    params = defaults(seed, given)
    if request.HasField("dna"):
        _overlay(params, request.dna.parameters)
    _overlay(params, described, merge_lists=True)
    _overlay(params, request.parameters)
    if not params.HasField("facial_hair_color"):
        params.facial_hair_color.CopyFrom(params.hair_color)
    _color_outfit(params, seed)
    return avatar_pb2.AvatarDna(version=catalogue.DNA_VERSION, seed=seed, parameters=params)


FOLK = {
    "human": {"height": 1.78, "heights": (1.5, 1.95), "build": (0.25, 0.75), "shoulders": (0.3, 0.7), "legs": 0.5, "head": 1.0,
              "muscle": (0.2, 0.5)},
    "dwarf": {"height": 1.38, "heights": (1.15, 1.45), "build": (0.7, 0.95), "shoulders": (0.8, 1.0), "legs": 0.45, "head": 1.18,
              "muscle": (0.6, 0.9)},
    "elf": {"height": 1.88, "heights": (1.7, 2.05), "build": (0.1, 0.3), "shoulders": (0.2, 0.45), "legs": 0.53, "head": 0.98,
            "muscle": (0.15, 0.4)},
}


def defaults(seed: int, given: avatar_pb2.AvatarParameters | None = None) -> avatar_pb2.AvatarParameters:
    """A plausible everyday person for a seed. What `given` already says about sex, age and folk
    steers the rest: a woman's hair styles, an old person's grey hair, a dwarf's beard."""
    given = given or avatar_pb2.AvatarParameters()
    pick = lambda name, options: options[int(stream(seed, name).integers(len(options)))]  # noqa: E731
    femininity = given.femininity if given.HasField("femininity") else float(
        pick("sex", (0.1, 0.9)) + stream(seed, "femininity").uniform(-0.08, 0.08))
    age = given.age if given.HasField("age") else float(stream(seed, "age").uniform(19.0, 50.0))
    feminine = femininity >= 0.5
    styles = ("long", "ponytail", "bob", "bun", "curly") if feminine else ("short", "buzz", "curly", "short")
    hair = colors.greyed(colors.hex_color(pick("hair_color", colors.NATURAL_HAIR)), age)
    beard = "full" if given.body_plan == "dwarf" and not feminine else "none"
    # A folk's figure when only its name is given (a model's answer may name the plan alone).
    folk = FOLK.get(given.body_plan, FOLK["human"])
    return avatar_pb2.AvatarParameters(
        height_m=float(np.clip(stream(seed, "height").normal(folk["height"] - 0.13 * femininity, 0.07), *folk["heights"])),
        build=float(stream(seed, "build").uniform(*folk["build"])),
        shoulder_width=float(stream(seed, "shoulders").uniform(*folk["shoulders"])),
        leg_ratio=float(np.clip(stream(seed, "legs").normal(folk["legs"], 0.012), folk["legs"] - 0.03, folk["legs"] + 0.03)),
        head_scale=float(stream(seed, "head").uniform(folk["head"] - 0.04, folk["head"] + 0.04)),
        femininity=femininity,
        age=age,
        muscle=float(stream(seed, "muscle").uniform(*folk["muscle"]) * (0.6 if feminine else 1.0)),
        body_plan="human",
        beard_style=beard,
        moustache_style="none",
        skin_tone=colors.hex_color(pick("skin", colors.NATURAL_SKIN)),
        hair_style=pick("hair_style", styles),
        hair_color=hair,
        eye_color=colors.hex_color(pick("eyes", colors.NATURAL_EYES)),
        outfit=[avatar_pb2.OutfitPiece(kind="shirt"), avatar_pb2.OutfitPiece(kind="trousers"), avatar_pb2.OutfitPiece(kind="shoes")],
    )


def _overlay(base: avatar_pb2.AvatarParameters, layer: avatar_pb2.AvatarParameters, merge_lists: bool = False) -> None:
    for name in SCALARS + COLORS:
        if layer.HasField(name):
            if name in COLORS:
                getattr(base, name).CopyFrom(getattr(layer, name))
            else:
                setattr(base, name, getattr(layer, name))
    for name in CHOICES:
        if getattr(layer, name):
            setattr(base, name, getattr(layer, name))
    if layer.outfit:
        pieces = list(base.outfit) if merge_lists else []
        for piece in layer.outfit:
            slot = catalogue.OUTFIT_SLOTS[piece.kind]
            kept = [p for p in pieces if catalogue.OUTFIT_SLOTS[p.kind] == slot]
            pieces = [p for p in pieces if catalogue.OUTFIT_SLOTS[p.kind] != slot]
            merged = avatar_pb2.OutfitPiece(kind=piece.kind)
            if piece.HasField("color"):
                merged.color.CopyFrom(piece.color)
            elif kept and kept[0].kind == piece.kind and kept[0].HasField("color"):
                merged.color.CopyFrom(kept[0].color)
            pieces.append(merged)
        pieces.sort(key=lambda p: SLOT_ORDER.index(catalogue.OUTFIT_SLOTS[p.kind]))
        del base.outfit[:]
        base.outfit.extend(pieces)
    if layer.accessories:
        names = set(layer.accessories) | (set(base.accessories) if merge_lists else set())
        del base.accessories[:]
        base.accessories.extend(name for name in catalogue.ACCESSORIES if name in names)


def _color_outfit(params: avatar_pb2.AvatarParameters, seed: int) -> None:
    """Pieces without a colour get one from the seed (per kind, so the rest never changes)."""
    for piece in params.outfit:
        if not piece.HasField("color"):
            palette = colors.PALETTES.get(piece.kind, colors.CLOTH)
            rng = stream(seed, f"outfit:{piece.kind}")
            piece.color.CopyFrom(colors.hex_color(palette[int(rng.integers(len(palette)))]))


def to_json(dna: avatar_pb2.AvatarDna) -> str:
    return json_format.MessageToJson(dna, indent=2, sort_keys=True)


def from_json(text: str) -> avatar_pb2.AvatarDna:
    try:
        return json_format.Parse(text, avatar_pb2.AvatarDna())
    except json_format.ParseError as error:
        raise InvalidArgument("dna", f"is not an avatar DNA in JSON (as dna.json holds it): {error}") from None
