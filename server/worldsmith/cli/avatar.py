"""`worldsmith avatar DESCRIPTION -o out/`: create an avatar through AvatarService in this process and write its files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable, Optional, Sequence

import typer

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.cli.in_process import InProcessCaller, result_of, scratch_data, started_services
from worldsmith.cli.shared import ConfigOption, console, exit_on_error, settings_or_exit
from worldsmith.config import Settings, load_settings
from worldsmith.store.files import write_atomic

SERVICE = "worldsmith.v1.AvatarService"

Progress = Callable[[str, int, int], None]  # stage, step, total


def avatar(
    description: str = typer.Argument("", help='Who to make, e.g. "tall elf ranger, green cloak".'),
    seed: int = typer.Option(0, "--seed", "-s", min=0, help="The same seed gives the same bytes."),
    height: Optional[float] = typer.Option(None, "--height", help="Stature in metres (overrides the description)."),
    lods: str = typer.Option("1,0.5,0.25", "--lods", help="Triangle ratios per LOD, e.g. 1,0.5,0.25."),
    texture_size: int = typer.Option(1024, "--texture-size", help="Atlas size in pixels, a power of two."),
    dna_file: Optional[Path] = typer.Option(None, "--dna", help="A dna.json to regenerate (the description and --height edit it)."),
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for the GLBs, sidecars and dna.json."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Generate a rigged humanoid avatar in this process, without a server (the config's parser model reads the description)."""
    try:
        ratios = [float(part) for part in lods.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"--lods takes numbers separated by commas, e.g. 1,0.5,0.25; got {lods!r}") from None
    settings = settings_or_exit(config)
    with exit_on_error():
        written = write_avatar(description, output, seed=seed, height_m=height, lods=ratios, texture_size=texture_size,
                               dna_file=dna_file, settings=settings,
                               progress=lambda stage, step, total: console.print(f"[{step}/{total}] {stage}"))
    for path in written:
        console.print(f"wrote {path}")


def write_avatar(
    description: str,
    out_dir: Path,
    *,
    seed: int = 0,
    height_m: float | None = None,
    lods: Sequence[float] = (),
    texture_size: int = 0,
    dna_file: Path | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write avatar.glb, avatar_lod1.glb..., humanoid.json, unity_human_description.json and
    dna.json into `out_dir`; return their paths. `dna_file` regenerates a stored avatar (the
    description and height then change only what they name). Bad input raises InvalidArgument."""
    from worldsmith.avatars import dna

    request = avatar_pb2.CreateAvatarRequest(description=description, seed=seed, lods=list(lods), texture_size=texture_size)
    if height_m is not None:
        request.parameters.height_m = height_m
    if dna_file is not None:
        request.dna.CopyFrom(dna.from_json(Path(dna_file).read_text()))
    result = asyncio.run(create_avatar(settings or load_settings(), request, progress))

    files = {"avatar.glb": result.glb}
    for level, lod in enumerate(result.lods, start=1):
        files[f"avatar_lod{level}.glb"] = lod.glb
    files["humanoid.json"] = result.humanoid_json.encode()
    files["unity_human_description.json"] = result.unity_human_description_json.encode()
    files["dna.json"] = (dna.to_json(result.dna) + "\n").encode()
    written = []
    for name, data in files.items():
        write_atomic(Path(out_dir) / name, data)
        written.append(Path(out_dir) / name)
    return written


async def create_avatar(settings: Settings, request: avatar_pb2.CreateAvatarRequest,
                        progress: Progress | None = None) -> avatar_pb2.AvatarResult:
    """CreateAvatar on the assembled services, with the models it uses loaded: the parser model that reads
    descriptions and the first texture model, which paints the atlas. Avatars keep nothing between runs,
    so the services' data folder is a scratch one."""

    def show(event: avatar_pb2.CreateAvatarResponse) -> None:
        if progress is not None and event.HasField("progress"):
            progress(event.progress.stage, event.progress.step, event.progress.total)

    models = [settings.avatars.parser_model, *settings.textures.models[:1]]
    with scratch_data(settings) as scratch:
        async with started_services(scratch, models) as services:
            return await result_of(InProcessCaller(services).stream(SERVICE, "CreateAvatar", request), show)
