"""Checking a GenerateTextureRequest and resolving it into a plan: every default filled, every field valid."""

from __future__ import annotations

import hashlib
import io
import math
import secrets
from dataclasses import dataclass, field

from google.protobuf import json_format
from PIL import Image, UnidentifiedImageError

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import TexturesConfig
from worldsmith.errors import InvalidArgument
from worldsmith.textures import prompt as prompt_reading
from worldsmith.textures.presets import FALLBACK, PRESETS, Preset

PROCEDURAL = "procedural"
DEFAULT_SIZE = 512
MIN_SIZE = 64
MAX_PROMPT_CHARS = 2000
MAX_GUIDANCE = 30.0
DEFAULT_STRENGTH = 0.75
SEED_LIMIT = 1 << 64

Map = texture_pb2.TextureMap
MAP_NAMES = {value: name.removeprefix("TEXTURE_MAP_").lower() for name, value in Map.items() if value}
TILING = {
    texture_pb2.TILING_UNSPECIFIED: (True, True),  # the service makes tileable materials unless told otherwise
    texture_pb2.TILING_NONE: (False, False),
    texture_pb2.TILING_X: (True, False),
    texture_pb2.TILING_Y: (False, True),
    texture_pb2.TILING_BOTH: (True, True),
}


@dataclass(frozen=True)
class TexturePlan:
    """A request with every default resolved; what the backends and the recipe read."""

    backend: str                      # "procedural" or "diffusion"
    model: str                        # configured model name, or "procedural"
    prompt: str
    negative_prompt: str
    width: int
    height: int
    seed: int
    tile_x: bool
    tile_y: bool
    maps: tuple[int, ...]
    normal_convention: int
    bit_depth: int
    variations: int
    preview_every: int
    # Procedural: the preset and its full parameters. Diffusion: the material the prompt
    # names, whose roughness, metal and relief the PBR maps start from.
    preset: str
    parameters: dict = field(default_factory=dict)
    steps: int = 0
    guidance_scale: float = 0.0
    init_image: Image.Image | None = field(default=None, compare=False)
    init_image_sha256: str = ""
    strength: float = 0.0

    def seed_of(self, variation: int) -> int:
        return (self.seed + variation) % SEED_LIMIT

    def recipe_parameters(self) -> dict:
        """Every parameter that shapes the result, as plain JSON-able data."""
        shared = {
            "prompt": self.prompt,
            "width": self.width,
            "height": self.height,
            "tiling": {(True, True): "both", (True, False): "x", (False, True): "y", (False, False): "none"}[
                (self.tile_x, self.tile_y)],
            "maps": [MAP_NAMES[kind] for kind in self.maps],
            "normal_convention": texture_pb2.NormalConvention.Name(self.normal_convention).removeprefix(
                "NORMAL_CONVENTION_").lower(),
            "bit_depth": self.bit_depth,
            "preset": self.preset,
            "preset_parameters": {name: list(value) if isinstance(value, tuple) else value
                                  for name, value in sorted(self.parameters.items())},
        }
        if self.backend == PROCEDURAL:
            return shared
        diffusion = {"negative_prompt": self.negative_prompt, "steps": self.steps, "guidance_scale": self.guidance_scale}
        if self.init_image is not None:
            diffusion.update(init_image_sha256=self.init_image_sha256, strength=self.strength)
        return {**shared, **diffusion}


def plan(request: texture_pb2.GenerateTextureRequest, settings: TexturesConfig, model: str,
         default_steps: int = 0, default_guidance: float = 0.0) -> TexturePlan:
    """Validate `request` for the resolved `model` ("procedural" or a ready diffusion model,
    whose default steps and guidance are given) and fill in every default.

    Raises InvalidArgument naming every bad field at once, before any work is queued.
    """
    problems: list[tuple[str, str]] = []
    procedural = model == PROCEDURAL

    text = request.prompt.strip()
    if len(text) > MAX_PROMPT_CHARS:
        problems.append(("prompt", f"is {len(text)} characters; the limit is {MAX_PROMPT_CHARS}"))
    if not procedural and not text:
        problems.append(("prompt", "is empty; describe the material, e.g. 'mossy cobblestone'"))
    if len(request.negative_prompt) > MAX_PROMPT_CHARS:
        problems.append(("negative_prompt", f"is longer than {MAX_PROMPT_CHARS} characters"))

    width = _size("width", request.width, settings.max_size, problems)
    height = _size("height", request.height, settings.max_size, problems)

    steps = request.steps or default_steps
    if request.steps > settings.max_steps:
        problems.append(("steps", f"is {request.steps}; this server allows 1 to {settings.max_steps} (0: the model's default)"))
    guidance = request.guidance_scale if request.HasField("guidance_scale") else default_guidance
    if request.HasField("guidance_scale") and not (math.isfinite(guidance) and 0 <= guidance <= MAX_GUIDANCE):
        problems.append(("guidance_scale", f"is {guidance}; use 0 to {MAX_GUIDANCE:g} (0 or 1: no classifier-free guidance)"))

    variations = request.variations or 1
    if variations > settings.max_variations:
        problems.append(("variations", f"is {variations}; this server allows 1 to {settings.max_variations}"))

    if request.tiling not in TILING:
        problems.append(("tiling", f"unknown value {request.tiling}; use TILING_NONE, _X, _Y or _BOTH"))
    tile_x, tile_y = TILING.get(request.tiling, (True, True))
    maps = _maps(request.maps, problems)
    convention = request.normal_convention or texture_pb2.NORMAL_CONVENTION_OPENGL
    if convention not in (texture_pb2.NORMAL_CONVENTION_OPENGL, texture_pb2.NORMAL_CONVENTION_DIRECTX):
        problems.append(("normal_convention", f"unknown value {convention}; use OPENGL or DIRECTX"))
    bit_depth = {0: 8, texture_pb2.IMAGE_FORMAT_PNG8: 8, texture_pb2.IMAGE_FORMAT_PNG16: 16}.get(request.format)
    if bit_depth is None:
        problems.append(("format", f"unknown value {request.format}; use IMAGE_FORMAT_PNG8 or IMAGE_FORMAT_PNG16"))

    init_image, init_hash, strength = None, "", 0.0
    if request.init_image:
        if procedural:
            problems.append(("init_image", "img2img needs a diffusion model; this request uses the procedural backend"))
        else:
            init_image, init_hash = _init_image(request.init_image, width, height, problems)
    if request.HasField("strength"):
        strength = request.strength
        if not (math.isfinite(strength) and 0 <= strength <= 1):
            problems.append(("strength", f"is {strength}; it must be between 0 and 1 (the share of the init image repainted)"))
        elif init_image is not None and int(steps * strength) < 1:
            problems.append(("strength", f"{strength} of {steps} steps leaves no denoising step; use at least {1 / steps:.3g}"))
    elif init_image is not None:
        strength = DEFAULT_STRENGTH

    preset, parameters = _material(request, procedural, text, problems)
    if problems:
        raise InvalidArgument.many(problems)
    return TexturePlan(
        backend=PROCEDURAL if procedural else "diffusion",
        model=model,
        prompt=text,
        negative_prompt=request.negative_prompt if not procedural else "",
        width=width,
        height=height,
        seed=request.seed or secrets.randbelow(SEED_LIMIT - 1) + 1,
        tile_x=tile_x,
        tile_y=tile_y,
        maps=maps,
        normal_convention=convention,
        bit_depth=bit_depth,
        variations=variations,
        preview_every=request.preview_every,
        preset=preset.name,
        parameters=parameters,
        steps=0 if procedural else steps,
        guidance_scale=0.0 if procedural else float(guidance),
        init_image=init_image,
        init_image_sha256=init_hash,
        strength=strength if init_image is not None else 0.0,
    )


def _size(name: str, value: int, limit: int, problems: list) -> int:
    value = value or DEFAULT_SIZE
    if value % 8 or not MIN_SIZE <= value <= limit:
        problems.append((name, f"is {value}; use a multiple of 8 from {MIN_SIZE} to {limit} (0: {DEFAULT_SIZE})"))
    return value


def _maps(requested, problems: list) -> tuple[int, ...]:
    maps: list[int] = []
    for index, kind in enumerate(requested):
        if kind not in MAP_NAMES:
            problems.append((f"maps[{index}]", f"unknown map {kind}; use one of {', '.join(Map.keys()[1:])}"))
        elif kind not in maps:
            maps.append(kind)
    return tuple(maps) or (texture_pb2.TEXTURE_MAP_ALBEDO,)


def _init_image(data: bytes, width: int, height: int, problems: list) -> tuple[Image.Image | None, str]:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        problems.append(("init_image", f"does not decode as an image ({error}); send PNG or JPEG bytes"))
        return None, ""
    image = image.convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    return image, hashlib.sha256(data).hexdigest()


def _material(request, procedural: bool, text: str, problems: list) -> tuple[Preset, dict]:
    """The preset and its parameters: from the prompt, then the request's explicit values."""
    if request.preset and request.preset not in PRESETS:
        problems.append(("preset", f"unknown preset {request.preset!r}; this server has {', '.join(PRESETS)}"))
        return PRESETS[FALLBACK], {}
    if not procedural and request.preset:
        problems.append(("preset", "presets belong to the procedural backend; set model to 'procedural' or leave it empty"))
    if not procedural and request.HasField("preset_parameters"):
        problems.append(("preset_parameters", "preset parameters belong to the procedural backend"))
    reading = prompt_reading.read(text, request.preset)
    preset = PRESETS[reading.preset]
    parameters = {**preset.defaults(), **reading.parameters}
    explicit = json_format.MessageToDict(request.preset_parameters) if request.HasField("preset_parameters") else {}
    for name, value in explicit.items():
        checked = _parameter(preset, name, value, problems)
        if checked is not None:
            parameters[name] = checked
    if not procedural:
        # Diffusion keeps only what the PBR maps need from the material.
        parameters = {"roughness": parameters["roughness"], "bump": parameters["bump"], "metallic": preset.metallic}
    return preset, parameters


def _parameter(preset: Preset, name: str, value, problems: list):
    where = f"preset_parameters.{name}"
    spec = preset.parameters.get(name)
    if spec is None:
        problems.append((where, f"{preset.name} has no parameter {name!r}; it has {', '.join(preset.parameters)}"))
        return None
    if spec.is_colour:
        colour = _colour(value)
        if colour is None:
            problems.append((where, "use [r, g, b] with each in 0..1, or '#rrggbb'"))
        return colour
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not spec.low <= value <= spec.high:
        kind = "a whole number" if spec.integer else "a number"
        problems.append((where, f"is {value!r}; use {kind} from {spec.low:g} to {spec.high:g}"))
        return None
    return float(round(value)) if spec.integer else float(value)


def _colour(value) -> tuple[float, float, float] | None:
    if isinstance(value, str) and len(value) == 7 and value.startswith("#"):
        try:
            return tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))
        except ValueError:
            return None
    if isinstance(value, list) and len(value) == 3 and all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in value):
        return tuple(float(c) for c in value)
    return None
