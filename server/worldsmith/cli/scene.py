"""`worldsmith scene PROMPT ...`: generate a scene through SceneService in this process and write its files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Optional

import typer
from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.cli.in_process import InProcessCaller, result_of, scratch_data, started_services
from worldsmith.cli.shared import ConfigOption, console, exit_on_error, settings_or_exit
from worldsmith.config import Settings
from worldsmith.store.files import write_atomic

KINDS = {"interior": scene_pb2.SCENE_KIND_INTERIOR, "dungeon": scene_pb2.SCENE_KIND_DUNGEON, "terrain": scene_pb2.SCENE_KIND_TERRAIN}
ALGORITHMS = {"bsp": scene_pb2.DUNGEON_ALGORITHM_BSP, "caves": scene_pb2.DUNGEON_ALGORITHM_CAVES}
SERVICE = "worldsmith.v1.SceneService"


def scene(
    prompt: str = typer.Argument("", help='What to generate, e.g. "a tavern with four tables".'),
    kind: str = typer.Option("interior", "--kind", "-k", help="interior, dungeon or terrain."),
    seed: int = typer.Option(1, "--seed", "-s", min=0, help="The same seed gives the same bytes."),
    bounds: str = typer.Option("8,3,6", "--bounds", "-b", help="Extent in metres as X,Y,Z (width, height, depth)."),
    catalog: Optional[Path] = typer.Option(None, "--catalog", help="Asset catalog JSON (default: the built-in one)."),
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for scene.json, scene.glb and heightmaps."),
    objects: int = typer.Option(0, "--objects", min=0, help="Interior: how many objects (0: from the prompt)."),
    doors: int = typer.Option(1, "--doors", min=1, help="Interior: doors."),
    windows: int = typer.Option(2, "--windows", min=0, help="Interior: windows."),
    algorithm: str = typer.Option("bsp", "--algorithm", help="Dungeon: bsp or caves."),
    furnish: bool = typer.Option(True, "--furnish/--bare", help="Dungeon: furnish the rooms."),
    resolution: int = typer.Option(0, "--resolution", min=0, help="Terrain: samples per side (0: 257)."),
    tile: str = typer.Option("0,0", "--tile", help="Terrain: tile coordinates X,Z; neighbours stitch."),
    preview: bool = typer.Option(True, "--preview/--no-preview", help="Write the GLB preview."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Generate a room, a dungeon or a terrain tile in this process, without a server (the config's planner model plans)."""
    settings = settings_or_exit(config)
    with exit_on_error():
        request = _request(prompt, kind, seed, bounds, catalog, objects, doors, windows, algorithm, furnish, resolution, tile, preview)
        result = asyncio.run(generate_scene(settings, request))
    for name in write_scene(result, output):
        console.print(f"wrote {output / name}")
    q = result.quality
    console.print(f"{q.objects_placed}/{q.objects_requested} objects, {q.relations_satisfied}/{q.relations_requested} relations, "
                  f"{q.collisions} collisions, {q.out_of_bounds} out of bounds, {q.reachable_fraction:.0%} of the floor reachable")


async def generate_scene(settings: Settings, request: scene_pb2.GenerateSceneRequest) -> scene_pb2.SceneResult:
    """GenerateScene on the assembled services, with the planner model loaded when the config names one.
    Scenes keep nothing between runs, so the services' data folder is a scratch one."""
    with scratch_data(settings) as scratch:
        async with started_services(scratch, [settings.scenes.planner_model]) as services:
            return await result_of(InProcessCaller(services).stream(SERVICE, "GenerateScene", request), _show_progress())


def write_scene(result: scene_pb2.SceneResult, folder: Path) -> list[str]:
    """scene.json (the result without its binary blobs), scene.glb, and for terrain heightmap.png
    (16-bit), heightmap.r32 (little-endian float32) and splat.png. Returns the names written."""
    files = {}
    if result.glb_preview:
        files["scene.glb"] = result.glb_preview
    if result.heightmap.resolution:
        files["heightmap.png"] = result.heightmap.png16
        files["heightmap.r32"] = result.heightmap.raw_float32
        files["splat.png"] = result.heightmap.splat_png
    described = scene_pb2.SceneResult()
    described.CopyFrom(result)
    described.ClearField("glb_preview")
    for blob in ("png16", "raw_float32", "splat_png"):
        described.heightmap.ClearField(blob)
    data = json_format.MessageToDict(described)
    data["planJson"] = json.loads(result.plan_json) if result.plan_json else None
    files["scene.json"] = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    for name, payload in files.items():
        write_atomic(folder / name, payload)
    return sorted(files)


def _request(prompt, kind, seed, bounds, catalog, objects, doors, windows, algorithm, furnish, resolution, tile, preview):
    if kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if algorithm not in ALGORITHMS:
        raise typer.BadParameter(f"--algorithm must be bsp or caves, got {algorithm!r}")
    x, y, z = _numbers(bounds, 3, "--bounds", float)
    request = scene_pb2.GenerateSceneRequest(kind=KINDS[kind], prompt=prompt, seed=seed, bounds=common_pb2.Vec3(x=x, y=y, z=z),
                                             skip_preview=not preview)
    if catalog is not None:
        from worldsmith.scenes.catalog import load_catalog_json

        request.catalog.CopyFrom(load_catalog_json(catalog))
    if kind == "interior":
        request.interior.CopyFrom(scene_pb2.InteriorParameters(doors=doors, windows=windows, object_count=objects))
    elif kind == "dungeon":
        request.dungeon.CopyFrom(scene_pb2.DungeonParameters(algorithm=ALGORITHMS[algorithm], furnish=furnish))
    else:
        tile_x, tile_z = _numbers(tile, 2, "--tile", int)
        request.terrain.CopyFrom(scene_pb2.TerrainParameters(resolution=resolution, tile_x=tile_x, tile_z=tile_z))
    return request


def _numbers(text: str, count: int, option: str, kind):
    try:
        values = [kind(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise typer.BadParameter(f"{option} takes {count} comma-separated numbers, e.g. {'8,3,6' if count == 3 else '0,1'}; got {text!r}")
    return values


def _show_progress():
    last = {"stage": None}

    def show(event: scene_pb2.GenerateSceneResponse) -> None:
        stage = event.progress.stage
        if event.HasField("progress") and stage != last["stage"]:
            last["stage"] = stage
            console.print(f"[dim]{stage}...[/dim]")

    return show
