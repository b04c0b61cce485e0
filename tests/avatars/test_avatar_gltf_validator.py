"""Every generated GLB, every LOD, passes the Khronos glTF validator with no errors or warnings."""

from __future__ import annotations

import pytest

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import catalogue

from avatar_helpers import make, validate

DESCRIPTIONS = [
    "tall elf ranger, green cloak",
    "short dwarf warrior with long red hair and a belt",
    "woman with a blonde ponytail in a blue dress and glasses",
    "muscular orc knight",
    "child with curly black hair, yellow shirt and shorts",
    "pirate with a mohawk, earrings and a scarf",
    "bald wizard with a headband and a necklace",
    "slim 160 cm woman with a brown bob, white jacket, jeans and gloves",
    "6'4\" heavy farmer with a bun",
    "",
]


@pytest.fixture(scope="module")
def glb_files(tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("validator")
    paths = []
    for seed, description in enumerate(DESCRIPTIONS):
        result = make(description, seed=seed * 7919 + 1) if description else make(seed=seed, parameters=avatar_pb2.AvatarParameters(hair_style="buzz"))
        for level, data in enumerate([result.glb] + [lod.glb for lod in result.lods]):
            path = folder / f"avatar{seed}_lod{level}.glb"
            path.write_bytes(data)
            paths.append(path)
    every_style = make(seed=99, parameters=avatar_pb2.AvatarParameters(
        hair_style="bob", accessories=list(catalogue.ACCESSORIES),
        outfit=[avatar_pb2.OutfitPiece(kind=kind) for kind in ("jacket", "skirt", "boots", "gloves", "cloak")]))
    path = folder / "everything.glb"
    path.write_bytes(every_style.glb)
    return paths + [path]


def test_every_glb_passes_the_khronos_validator(glb_files):
    reports = validate(glb_files)
    assert len(reports) == len(glb_files)
    for report in reports:
        issues = report["issues"]
        problems = [m for m in issues["messages"] if m["severity"] <= 1]
        assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, (report["uri"], problems[:5])
        assert report["info"]["maxInfluences"] == 4
        assert report["info"]["hasSkins"] and report["info"]["hasMorphTargets"] and report["info"]["hasTextures"]
