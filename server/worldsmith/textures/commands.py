"""`worldsmith texture PROMPT ...`: generate a material set in this process and write its PNGs."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from google.protobuf import json_format
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.config import load_settings
from worldsmith.errors import InvalidArgument
from worldsmith.textures.local import LocalTextures, models_for
from worldsmith.textures.request import MAP_NAMES

TILINGS = {"none": texture_pb2.TILING_NONE, "x": texture_pb2.TILING_X, "y": texture_pb2.TILING_Y,
           "both": texture_pb2.TILING_BOTH}
MAPS_BY_NAME = {name: value for value, name in MAP_NAMES.items()}
MAP_ALIASES = {"ao": "ambient_occlusion", "occlusion": "ambient_occlusion", "color": "albedo", "basecolor": "albedo"}


def texture(prompt: str, tile: str = "both", maps: str = "albedo", size: int = 512, seed: int = 1, model: str = "",
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
    settings = load_settings(config)
    result = asyncio.run(_generate(settings, request, data_dir, console))
    return _write(result, Path(output), prompt or preset or "texture", console)


async def _generate(settings, request, data_dir, console: Console) -> texture_pb2.TextureResult:
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

        async with LocalTextures(settings, models_for(settings, request.model), data_dir) as textures:
            return await textures.generate(request, on_event=show)


def _write(result: texture_pb2.TextureResult, output: Path, name: str, console: Console) -> list[Path]:
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
    if names.strip().lower() == "all":
        return list(MAPS_BY_NAME.values())
    maps = []
    for name in (part.strip().lower() for part in names.split(",") if part.strip()):
        name = MAP_ALIASES.get(name, name)
        if name not in MAPS_BY_NAME:
            raise InvalidArgument("maps", f"unknown map {name!r}; use all or some of {', '.join(MAPS_BY_NAME)}")
        maps.append(MAPS_BY_NAME[name])
    return maps
