"""`worldsmith texture PROMPT ...`: generate a material set through TextureService in this process and write its PNGs."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Optional

import typer
from google.protobuf import json_format
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.cli.in_process import InProcessCaller, result_of, started_services
from worldsmith.cli.shared import ConfigOption, console as stderr, exit_on_error
from worldsmith.config import Settings, load_settings
from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import Lane

TILINGS = {"none": texture_pb2.TILING_NONE, "x": texture_pb2.TILING_X, "y": texture_pb2.TILING_Y,
           "both": texture_pb2.TILING_BOTH}
MAP_ALIASES = {"ao": "ambient_occlusion", "occlusion": "ambient_occlusion", "color": "albedo", "basecolor": "albedo"}
SERVICE = "worldsmith.v1.TextureService"


def texture(
    prompt: str = typer.Argument(..., help='What to make, e.g. "mossy cobblestone".'),
    tile: str = typer.Option("both", "--tile", help="none, x, y or both."),
    maps: str = typer.Option("albedo", "--maps", help="all, or names: albedo,height,normal,roughness,ao,metallic,orm."),
    size: int = typer.Option(512, "--size", help="Width and height in pixels (a multiple of 8)."),
    seed: int = typer.Option(1, "--seed", min=0),
    model: str = typer.Option("", "--model", help="A diffusion model from the config, or 'procedural' (default: the first configured, else procedural)."),
    steps: int = typer.Option(0, "--steps", min=0, help="Diffusion steps (0: the model's default)."),
    variations: int = typer.Option(1, "--variations", min=1),
    bits: int = typer.Option(8, "--bits", help="PNG bit depth: 8 or 16."),
    normal: str = typer.Option("opengl", "--normal", help="Normal map convention: opengl or directx."),
    preset: str = typer.Option("", "--preset", help="Procedural preset (default: chosen from the prompt)."),
    config: Optional[Path] = ConfigOption,
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for the PNGs and recipes."),
) -> None:
    """Generate a tileable PBR material set in this process, with a progress bar."""
    with exit_on_error():
        write_texture(prompt, tile, maps, size, seed, model, config, output, steps=steps, variations=variations,
                      bits=bits, normal=normal, preset=preset, console=stderr)


def write_texture(prompt: str, tile: str = "both", maps: str = "albedo", size: int = 512, seed: int = 1, model: str = "",
            config: Path | None = None, output: Path = Path("out"), steps: int = 0, variations: int = 1,
            bits: int = 8, normal: str = "opengl", preset: str = "", data_dir: Path | None = None,
            console: Console | None = None) -> list[Path]:
    """Generate one material set with a progress bar and write `<prompt>[-N]-<map>.png` plus
    `<prompt>[-N]-recipe.json` per variation into `output`. Returns the files written.

    maps: "all" or names separated by commas (albedo, height, normal, roughness,
    ambient_occlusion or ao, metallic, orm).
    """
    console = console or Console(stderr=True)
    request = texture_pb2.GenerateTextureRequest(
        prompt=prompt, width=size, height=size, seed=seed, steps=steps, model=model, tiling=_tiling(tile),
        maps=_maps(maps), variations=variations, preset=preset,
        normal_convention=texture_pb2.NORMAL_CONVENTION_DIRECTX if normal.lower() == "directx" else texture_pb2.NORMAL_CONVENTION_OPENGL,
        format=texture_pb2.IMAGE_FORMAT_PNG16 if bits == 16 else texture_pb2.IMAGE_FORMAT_PNG8,
    )
    settings = load_settings(config, server__data_dir=data_dir)
    result = asyncio.run(_generate(settings, request, console))
    return _write(result, Path(output), prompt or preset or "texture", console)


def models_for(settings: Settings, model: str) -> list[str]:
    """The diffusion models a request for `model` needs loaded ("" means the default: the first configured)."""
    from worldsmith.textures.request import PROCEDURAL

    if model == PROCEDURAL:
        return []
    return [model] if model else settings.textures.models[:1]


async def _generate(settings: Settings, request: texture_pb2.GenerateTextureRequest, console: Console) -> texture_pb2.TextureResult:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("starting", total=None)

        def show(event: texture_pb2.GenerateTextureResponse) -> None:
            if event.HasField("queued"):
                bar.update(task, description=f"queued (position {event.queued.position})")
            elif event.HasField("progress"):
                step = event.progress
                bar.update(task, description=step.stage, completed=step.step, total=step.total)
            else:
                bar.update(task, description="cached" if event.result.cached else "done")

        # The result is cached in the config's data folder, as the server caches it.
        async with started_services(settings, models_for(settings, request.model)) as services:
            return await result_of(InProcessCaller(services, Lane.BATCH).stream(SERVICE, "GenerateTexture", request), show)


def _write(result: texture_pb2.TextureResult, output: Path, name: str, console: Console) -> list[Path]:
    from worldsmith.textures.request import MAP_NAMES

    output.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "texture"
    written = []
    for index, variation in enumerate(result.variations):
        prefix = stem if len(result.variations) == 1 else f"{stem}-{index + 1}"
        for image in variation.images:
            path = output / f"{prefix}-{MAP_NAMES[image.map]}.png"
            path.write_bytes(image.png)
            written.append(path)
        recipe = output / f"{prefix}-recipe.json"
        recipe.write_text(json.dumps(json_format.MessageToDict(variation.recipe), indent=2, sort_keys=True) + "\n")
        written.append(recipe)
        seams = ", ".join(f"{MAP_NAMES[i.map]} {i.seam.x:.2f}/{i.seam.y:.2f}" for i in variation.images)
        console.print(f"{prefix}: seam x/y {seams}")
    console.print(f"wrote {len(written)} files to {output}" + (" (from the cache)" if result.cached else ""))
    return written


def _tiling(name: str) -> int:
    if name.lower() not in TILINGS:
        raise InvalidArgument("tile", f"unknown tiling {name!r}; use none, x, y or both")
    return TILINGS[name.lower()]


def _maps(names: str) -> list[int]:
    from worldsmith.textures.request import MAP_NAMES

    maps_by_name = {name: value for value, name in MAP_NAMES.items()}
    if names.strip().lower() == "all":
        return list(maps_by_name.values())
    maps = []
    for name in (part.strip().lower() for part in names.split(",") if part.strip()):
        name = MAP_ALIASES.get(name, name)
        if name not in maps_by_name:
            raise InvalidArgument("maps", f"unknown map {name!r}; use all or some of {', '.join(maps_by_name)}")
        maps.append(maps_by_name[name])
    return maps
