"""examples/game/assets.toml builds from the checkout without models, and the README shows that manifest."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil

import pytest
from PIL import Image
from rich.console import Console

from harness import REPO
from worldsmith.assets.lockfile import LockFile
from worldsmith.cli.build import run_build
from worldsmith.config import load_settings

EXAMPLE = REPO / "examples" / "game"
BUILT = ["mossy_cobble", "forge_bricks", "drowsy_pike", "old_mine", "greywood", "bram", "ilse"]


@pytest.fixture(scope="module")
async def built(tmp_path_factory):
    """The example project copied out of the checkout and built on tests/model_free.toml; the build's output text."""
    project = tmp_path_factory.mktemp("game") / "game"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("Assets", "assets.lock"))
    settings = load_settings(REPO / "tests" / "model_free.toml", server__data_dir=project.parent / "data")
    text = io.StringIO()
    code = await run_build(project / "assets.toml", settings, None, None, False, None, Console(file=text, width=200))
    return project, code, text.getvalue()


def test_everything_but_the_barks_builds_without_a_text_model(built):
    _, code, text = built
    assert code == 1, text
    assert "7 built, 0 up to date, 1 failed" in text
    assert "bram_barks: UNAVAILABLE: dialogue.model is not set" in text


def test_the_lock_records_every_built_output(built):
    project, _, _ = built
    lock = LockFile.read(project / "assets.lock")
    assert sorted(lock.entries) == sorted(BUILT)
    for entry in lock.entries.values():
        for relative, sha256 in entry.outputs.items():
            assert hashlib.sha256((project / relative).read_bytes()).hexdigest() == sha256, relative


def test_textures_are_pngs_of_the_asked_size_with_their_recipe(built):
    project, _, _ = built
    folder = project / "Assets" / "Worldsmith" / "Textures"
    for name, size, maps in [("mossy_cobble", 512, ["albedo", "normal", "roughness"]), ("forge_bricks", 256, ["albedo", "normal", "orm"])]:
        for map_name in maps:
            with Image.open(folder / name / f"{name}_{map_name}.png") as image:
                assert image.size == (size, size), (name, map_name)
        recipe = json.loads((folder / name / f"{name}.recipe.json").read_text())
        assert recipe["backend"] == "procedural" and recipe["contentHash"]


def test_scenes_are_valid_and_walkable(built):
    project, _, _ = built
    folder = project / "Assets" / "Worldsmith" / "Scenes"
    for name in ("drowsy_pike", "old_mine", "greywood"):
        assert (folder / name / f"{name}.glb").read_bytes()[:4] == b"glTF", name
        scene = json.loads((folder / name / f"{name}.scene.json").read_text())
        quality = scene["quality"]
        assert quality["objectsPlaced"] > 0 and not quality.get("collisions") and not quality.get("outOfBounds"), name
        assert quality["reachableFraction"] == 1.0, name
        assert len(scene["graph"]["nodes"]) > quality["objectsPlaced"] // 2, name
    assert len((folder / "greywood" / "greywood_height.r32").read_bytes()) == 129 * 129 * 4
    with Image.open(folder / "greywood" / "greywood_height.png") as heightmap:
        assert heightmap.size == (129, 129) and heightmap.mode.startswith("I")


def test_avatars_are_rigged_glbs_with_sidecars(built):
    project, _, _ = built
    folder = project / "Assets" / "Worldsmith" / "Avatars"
    for name in ("bram", "ilse"):
        for level in ("", "_lod1", "_lod2"):
            assert (folder / name / f"{name}{level}.glb").read_bytes()[:4] == b"glTF", (name, level)
        assert json.loads((folder / name / f"{name}.humanoid.json").read_text())["humanoid"]
        assert json.loads((folder / name / f"{name}.unity_human.json").read_text())
        assert json.loads((folder / name / f"{name}.dna.json").read_text())["parameters"]


def test_the_readme_shows_the_example_manifest():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Offline builds"):]
    shown = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    assert shown == (EXAMPLE / "assets.toml").read_text()
