"""`worldsmith avatar DESCRIPTION -o out/`: generate an avatar in-process and write its files."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import dna, pipeline


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

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"avatar.glb": result.glb}
    for level, lod in enumerate(result.lods, start=1):
        files[f"avatar_lod{level}.glb"] = lod.glb
    files["humanoid.json"] = result.humanoid_json.encode()
    files["unity_human_description.json"] = result.unity_human_description_json.encode()
    files["dna.json"] = dna.to_json(result.dna).encode()
    written = []
    for name, data in files.items():
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written
