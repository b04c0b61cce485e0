"""The CLI command's files: GLBs, sidecars and a DNA that regenerates the same avatar."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from worldsmith.cli.avatar import avatar, write_avatar


def test_writes_every_file_and_the_dna_regenerates_it(tmp_path):
    paths = write_avatar("tall elf ranger, green cloak", tmp_path / "out", seed=3, height_m=1.8, texture_size=256)
    names = sorted(path.name for path in paths)
    assert names == ["avatar.glb", "avatar_lod1.glb", "avatar_lod2.glb", "dna.json", "humanoid.json", "unity_human_description.json"]
    stored = json.loads((tmp_path / "out" / "dna.json").read_text())
    assert stored["seed"] == "3" and abs(stored["parameters"]["heightM"] - 1.8) < 1e-6
    again = write_avatar("", tmp_path / "again", dna_file=tmp_path / "out" / "dna.json", texture_size=256)
    for path in again:
        assert path.read_bytes() == (tmp_path / "out" / path.name).read_bytes(), path.name


def test_the_command_line_writes_files_and_reports_bad_input(tmp_path):
    app = typer.Typer()
    app.command()(avatar)
    runner = CliRunner()
    done = runner.invoke(app, ["pirate with a mohawk", "--seed", "4", "--height", "1.7", "--texture-size", "128", "-o", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "avatar.glb").read_bytes()[:4] == b"glTF" and (tmp_path / "avatar_lod2.glb").exists()
    refused = runner.invoke(app, ["giant", "--height", "40", "-o", str(tmp_path / "no")])
    assert refused.exit_code == 2 and "parameters.height_m" in refused.output
    (tmp_path / "broken.json").write_text("{not json")
    broken = runner.invoke(app, ["--dna", str(tmp_path / "broken.json"), "-o", str(tmp_path / "no")])
    assert broken.exit_code == 2 and "dna" in broken.output
