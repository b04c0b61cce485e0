"""`worldsmith scene ...` writes the scene JSON, the GLB and, for terrain, the heightmaps."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from tests.scenes.hard_rules import load_glb
from worldsmith.cli.scene import scene

app = typer.Typer()
app.command("scene")(scene)
app.command("version")(lambda: None)  # a second command keeps `scene` a sub-command, as in the real CLI


def test_interior_writes_json_and_glb(tmp_path):
    result = CliRunner().invoke(app, ["scene", "a bedroom", "--kind", "interior", "--seed", "1", "--bounds", "5,3,4", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "scene.json").read_text())
    assert data["quality"]["reachableFraction"] == 1.0 and data["planJson"]["items"]
    assert "glbPreview" not in data
    assert load_glb((tmp_path / "scene.glb").read_bytes()).graph.nodes_geometry


def test_terrain_writes_heightmaps_and_a_catalog_file_is_read(tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"assets": [{"tag": "pine", "size": {"x": 1, "y": 8, "z": 1}, "maxSlopeDegrees": 35, "maxHeight": 1}]}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scene", "pines", "--kind", "terrain", "--bounds", "64,20,64", "--resolution", "33",
                                      "--catalog", str(catalog), "--tile", "1,2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"scene.json", "scene.glb", "heightmap.png", "heightmap.r32", "splat.png"}
    assert len((out / "heightmap.r32").read_bytes()) == 33 * 33 * 4
    tags = {node["tag"] for node in json.loads((out / "scene.json").read_text())["graph"]["nodes"]}
    assert tags == {"terrain", "pine"}


def test_impossible_request_exits_with_the_reason(tmp_path):
    result = CliRunner().invoke(app, ["scene", "four beds", "--bounds", "3,3,3", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "too small" in result.output and not (tmp_path / "scene.json").exists()


def test_an_oversized_catalog_file_is_refused_before_it_is_parsed(tmp_path):
    catalog = tmp_path / "catalog.json"
    asset = {"tag": "crate", "size": {"x": 1, "y": 1, "z": 1}}
    catalog.write_text(json.dumps({"assets": [asset] * 50_000}))
    result = CliRunner().invoke(app, ["scene", "a storeroom", "--catalog", str(catalog), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "a catalog file is at most" in result.output and not (tmp_path / "out" / "scene.json").exists()
