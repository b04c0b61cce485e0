"""`worldsmith build` end to end on tiny models: every kind, incremental, --check, resume, local vs --server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from harness import KEYS, REPO, running
from worldsmith.assets.lockfile import LockFile
from worldsmith.cli.build import run_build
from worldsmith.config import load_settings

BLACKSMITH = {
    "id": "blacksmith", "name": "Brann", "role": "the village blacksmith",
    "personality_traits": ["gruff", "honest"], "speaking_style": "Short sentences.",
}

MANIFEST = """\
[build]
layout = "unity"
parallel = 2

[[texture]]
name = "cobble"
prompt = "mossy cobblestone"
width = 128
height = 128
seed = 7
maps = ["albedo", "normal", "roughness"]
model = "procedural"

[[texture]]
name = "dreamy"
prompt = "glowing moss"
width = 64
height = 64
steps = 3
seed = 2
model = "textures"

[[scene]]
name = "tavern"
kind = "interior"
prompt = "a tavern with two tables"
bounds = { x = 8, y = 3, z = 6 }
seed = 3

[[avatar]]
name = "hero"
description = "tall elf ranger, green cloak"
seed = 11
texture_size = 256

[[barks]]
name = "smith"
character = "blacksmith"
character_file = "characters/blacksmith.json"
situations = ["the player walks into the forge"]
lines_per_situation = 2
max_new_tokens = 8
seed = 5
"""


def make_project(folder: Path, manifest: str = MANIFEST) -> Path:
    (folder / "characters").mkdir(parents=True, exist_ok=True)
    (folder / "characters" / "blacksmith.json").write_text(json.dumps(BLACKSMITH))
    (folder / "assets.toml").write_text(manifest)
    return folder / "assets.toml"


def outputs(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted((project / "Assets").rglob("*")) if p.is_file()}


async def build(manifest: Path, settings=None, server=None, key=None, check=False) -> int:
    return await run_build(manifest, settings, server, key, check, None, Console(stderr=True, force_terminal=False))


@pytest.fixture
def settings(tiny_models, tmp_path):
    return load_settings(tiny_models / "worldsmith.toml", server__data_dir=tmp_path / "data")


async def test_every_kind_builds_then_a_second_build_does_nothing(tmp_path, settings, capsys):
    manifest = make_project(tmp_path / "game")
    assert await build(manifest, settings) == 0
    files = outputs(tmp_path / "game")
    assert {"Assets/Worldsmith/Textures/cobble/cobble_albedo.png", "Assets/Worldsmith/Textures/cobble/cobble_normal.png",
            "Assets/Worldsmith/Textures/dreamy/dreamy_albedo.png", "Assets/Worldsmith/Scenes/tavern/tavern.glb",
            "Assets/Worldsmith/Scenes/tavern/tavern.scene.json", "Assets/Worldsmith/Barks/smith/smith.barks.json",
            "Assets/Worldsmith/Avatars/hero/hero.glb", "Assets/Worldsmith/Avatars/hero/hero_lod1.glb",
            "Assets/Worldsmith/Avatars/hero/hero.humanoid.json", "Assets/Worldsmith/Avatars/hero/hero.dna.json"} <= set(files)
    barks = json.loads(files["Assets/Worldsmith/Barks/smith/smith.barks.json"])
    assert len(barks["the player walks into the forge"]) == 2
    lock = LockFile.read(manifest.with_suffix(".lock"))
    assert set(lock.entries) == {"cobble", "dreamy", "tavern", "hero", "smith"}

    capsys.readouterr()
    started = time.monotonic()
    assert await build(manifest, settings) == 0
    assert "0 built, 5 up to date" in capsys.readouterr().err
    assert time.monotonic() - started < 30  # no generation, only model loading and hashing
    assert outputs(tmp_path / "game") == files


async def test_a_changed_seed_rebuilds_only_that_entry(tmp_path, settings, capsys):
    manifest = make_project(tmp_path / "game")
    assert await build(manifest, settings) == 0
    before = outputs(tmp_path / "game")
    manifest.write_text(MANIFEST.replace("seed = 3", "seed = 4"))
    capsys.readouterr()
    assert await build(manifest, settings) == 0
    assert "1 built, 4 up to date" in capsys.readouterr().err
    after = outputs(tmp_path / "game")
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed and all(name.startswith("Assets/Worldsmith/Scenes/tavern/") for name in changed)


async def test_check_names_deleted_and_changed_outputs(tmp_path, settings, capsys):
    manifest = make_project(tmp_path / "game")
    assert await build(manifest, settings) == 0
    assert await build(manifest, settings, check=True) == 0
    (tmp_path / "game/Assets/Worldsmith/Textures/cobble/cobble_normal.png").unlink()
    (tmp_path / "game/Assets/Worldsmith/Scenes/tavern/tavern.glb").write_bytes(b"edited by hand")
    capsys.readouterr()
    assert await build(manifest, settings, check=True) == 1
    report = capsys.readouterr().err
    assert "cobble" in report and "cobble_normal.png is missing" in report
    assert "tavern" in report and "tavern.glb differs from the lock" in report
    assert "out of date smith" not in report


async def test_a_failing_entry_does_not_stop_the_others(tmp_path, settings, capsys):
    broken = MANIFEST.replace('character = "blacksmith"\ncharacter_file = "characters/blacksmith.json"', 'character = "nobody"')
    manifest = make_project(tmp_path / "game", broken)
    assert await build(manifest, settings) == 1
    report = capsys.readouterr().err
    assert "4 built, 0 up to date, 1 failed" in report and "smith" in report and "NOT_FOUND" in report
    assert "Assets/Worldsmith/Scenes/tavern/tavern.glb" in outputs(tmp_path / "game")


async def test_an_unknown_model_is_refused_with_its_line_before_anything_runs(tmp_path, settings, capsys):
    manifest = make_project(tmp_path / "game", MANIFEST.replace('model = "textures"', 'model = "sdxl"'))
    assert await build(manifest, settings) == 2
    assert "assets.toml:21:" in capsys.readouterr().err
    assert not (tmp_path / "game" / "Assets").exists()


async def test_in_process_and_server_builds_give_identical_bytes(tmp_path, tiny_models, settings):
    local = make_project(tmp_path / "local")
    assert await build(local, settings) == 0
    remote = make_project(tmp_path / "remote")
    served = load_settings(tiny_models / "worldsmith.toml", server__data_dir=tmp_path / "server-data", server__port=0)
    served.auth.keys.append(served.auth.keys[0].model_copy(update={"name": "editor", "key": KEYS["editor"], "scopes": ["editor"]}))
    async with running(served) as server:
        assert await build(remote, server=f"127.0.0.1:{server.port}", key=KEYS["editor"]) == 0
    assert outputs(tmp_path / "local") == outputs(tmp_path / "remote")


def test_a_killed_build_resumes_and_completes(tmp_path, tiny_models):
    manifest = make_project(tmp_path / "game", MANIFEST.replace("parallel = 2", "parallel = 1"))
    command = [sys.executable, "-m", "worldsmith.cli", "build", str(manifest), "--config", str(tiny_models / "worldsmith.toml")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "server"), "WORLDSMITH_SERVER__DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock_path = manifest.with_suffix(".lock")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (lock_path.exists() and LockFile.read(lock_path).entries):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = set(LockFile.read(lock_path).entries)
    assert 1 <= len(done_before) < 5, "the kill should land midway"

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"{5 - len(done_before)} built, {len(done_before)} up to date" in finished.stderr
    check = subprocess.run([*command, "--check"], env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    assert not list((tmp_path / "game").rglob(".*.tmp"))
