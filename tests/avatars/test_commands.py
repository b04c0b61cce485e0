"""The CLI command's files: GLBs, sidecars and a DNA that regenerates the same avatar."""

from __future__ import annotations

import json

from worldsmith.avatars.commands import write_avatar


def test_writes_every_file_and_the_dna_regenerates_it(tmp_path):
    paths = write_avatar("tall elf ranger, green cloak", tmp_path / "out", seed=3, height_m=1.8, texture_size=256)
    names = sorted(path.name for path in paths)
    assert names == ["avatar.glb", "avatar_lod1.glb", "avatar_lod2.glb", "dna.json", "humanoid.json", "unity_human_description.json"]
    stored = json.loads((tmp_path / "out" / "dna.json").read_text())
    assert stored["seed"] == "3" and abs(stored["parameters"]["heightM"] - 1.8) < 1e-6
    again = write_avatar("", tmp_path / "again", dna_file=tmp_path / "out" / "dna.json", texture_size=256)
    for path in again:
        assert path.read_bytes() == (tmp_path / "out" / path.name).read_bytes(), path.name
