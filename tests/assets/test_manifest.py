"""Manifest validation: every problem reported with its line before anything is generated."""

from __future__ import annotations

import pytest

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.assets.lockfile import LockedEntry, LockFile
from worldsmith.assets.manifest import ManifestError, load_manifest

GOOD = """\
[build]
layout = "unity"
parallel = 3

[[texture]]
name = "stone"
prompt = "mossy cobblestone"
seed = 7
tiling = "both"
maps = ["albedo", "normal"]

[[scene]]
name = "tavern"
kind = "interior"
bounds = { x = 10, y = 3, z = 8 }

[[avatar]]
name = "hero"
description = "tall elf ranger"
output = "Characters/Hero"

[[barks]]
name = "smith"
character = "blacksmith"
situations = ["the player walks in"]
"""


def manifest(tmp_path, text: str):
    path = tmp_path / "assets.toml"
    path.write_text(text)
    return path


def test_a_good_manifest_maps_entries_to_requests_and_layout_folders(tmp_path):
    loaded = load_manifest(manifest(tmp_path, GOOD))
    entries = {entry.name: entry for entry in loaded.entries}
    assert loaded.parallel == 3
    stone = entries["stone"].request
    assert stone.tiling == texture_pb2.TILING_BOTH
    assert list(stone.maps) == [texture_pb2.TEXTURE_MAP_ALBEDO, texture_pb2.TEXTURE_MAP_NORMAL]
    assert entries["stone"].output == tmp_path / "Assets/Worldsmith/Textures/stone"
    assert entries["hero"].output == tmp_path / "Characters/Hero"
    assert entries["tavern"].request.bounds.x == 10
    assert loaded.lock_path == tmp_path / "assets.lock"


@pytest.mark.parametrize("text, line, words", [
    ('[[sound]]\nname = "boom"\n', 1, "unknown entry kind 'sound'"),
    ('[[texture]]\nname = "a"\nprompt = "x"\n\n[[texture]]\nname = "a"\nprompt = "y"\n', 5, "duplicate entry name 'a'"),
    ('[[texture]]\nname = "a"\nseed = 1\n', 1, "missing required field 'prompt'"),
    ('[[texture]]\nname = "a"\nprompt = "x"\noutput = "../../outside"\n', 4, "escapes the project folder"),
    ('[[texture]]\nname = "a"\nprompt = "x"\ncolour = "red"\n', 4, "unknown field 'colour'"),
    ('[[texture]]\nname = "a"\nprompt = "x"\ntiling = "diagonal"\n', 4, "tiling"),
    ('[[barks]]\nname = "b"\nsituations = ["hi"]\n', 1, "missing required field 'character'"),
    ('[[texture]]\nprompt = "x"\n', 1, "needs a `name`"),
])
def test_each_problem_names_its_line(tmp_path, text, line, words):
    with pytest.raises(ManifestError) as error:
        load_manifest(manifest(tmp_path, text))
    assert f"assets.toml:{line}:" in str(error.value)
    assert words in str(error.value)


def test_all_problems_are_reported_at_once(tmp_path):
    with pytest.raises(ManifestError) as error:
        load_manifest(manifest(tmp_path, '[[sound]]\nname = "a"\n\n[[texture]]\nname = "b"\n'))
    assert len(error.value.problems) == 2


def test_the_lock_names_missing_and_changed_outputs(tmp_path):
    (tmp_path / "a.png").write_bytes(b"one")
    (tmp_path / "b.png").write_bytes(b"two")
    lock = LockFile(tmp_path / "assets.lock", {"x": LockedEntry("texture", "h1", {
        "a.png": "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed",  # sha256("one")
        "b.png": "0" * 64,
        "c.png": "0" * 64,
    })})
    lock.write()
    reread = LockFile.read(tmp_path / "assets.lock")
    assert reread.problems("x", "h1", tmp_path) == ["b.png differs from the lock", "c.png is missing"]
    assert reread.problems("x", "h2", tmp_path) == ["recipe changed"]
    assert reread.problems("y", "h1", tmp_path) == ["not built yet"]
