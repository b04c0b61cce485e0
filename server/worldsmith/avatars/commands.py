"""`worldsmith avatar DESCRIPTION -o out/`: generate an avatar in-process and write its files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import typer
from rich.console import Console

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.assets.files import write_atomic
from worldsmith.avatars import dna, pipeline
from worldsmith.errors import WorldsmithError

console = Console(stderr=True)


def avatar(
    description: str = typer.Argument("", help='Who to make, e.g. "tall elf ranger, green cloak".'),
    seed: int = typer.Option(0, "--seed", "-s", min=0, help="The same seed gives the same bytes."),
    height: Optional[float] = typer.Option(None, "--height", help="Stature in metres (overrides the description)."),
    lods: str = typer.Option("1,0.5,0.25", "--lods", help="Triangle ratios per LOD, e.g. 1,0.5,0.25."),
    texture_size: int = typer.Option(1024, "--texture-size", help="Atlas size in pixels, a power of two."),
    dna_file: Optional[Path] = typer.Option(None, "--dna", help="A dna.json to regenerate (the description and --height edit it)."),
    output: Path = typer.Option(Path("out"), "--output", "-o", help="Folder for the GLBs, sidecars and dna.json."),
) -> None:
    """Generate a rigged humanoid avatar in this process, without a server."""
    try:
        ratios = [float(part) for part in lods.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"--lods takes numbers separated by commas, e.g. 1,0.5,0.25; got {lods!r}") from None
    try:
        written = write_avatar(description, output, seed=seed, height_m=height, lods=ratios, texture_size=texture_size,
                               dna_file=dna_file, progress=lambda stage, step, total: console.print(f"[{step}/{total}] {stage}"))
    except WorldsmithError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from None
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
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Path]:
    """Write avatar.glb, avatar_lod1.glb..., humanoid.json, unity_human_description.json and
    dna.json into `out_dir`; return their paths. `dna_file` regenerates a stored avatar (the
    description and height then change only what they name). Bad input raises InvalidArgument."""
    request = avatar_pb2.CreateAvatarRequest(description=description, seed=seed, lods=list(lods), texture_size=texture_size)
    if height_m is not None:
        request.parameters.height_m = height_m
    if dna_file is not None:
        request.dna.CopyFrom(dna.from_json(Path(dna_file).read_text()))
    result = pipeline.create(request, progress=progress)

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
