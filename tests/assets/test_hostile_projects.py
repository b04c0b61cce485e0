"""A project's lock file and manifest are untrusted: a build never touches a file outside the project folder."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from harness import REPO
from worldsmith.assets.lockfile import LockFile
from worldsmith.assets.manifest import ManifestError, load_manifest
from worldsmith.cli.build import run_build
from worldsmith.config import load_settings

MANIFEST = '[[texture]]\nname = "stone"\nprompt = "grey cobblestone"\nseed = 1\nwidth = 64\nheight = 64\n'


def project_with_lock(folder, outputs: dict[str, str]):
    folder.mkdir(parents=True)
    (folder / "assets.toml").write_text(MANIFEST)
    lock = {"version": 1, "entries": {"stone": {"kind": "texture", "recipe_hash": "00", "outputs": outputs}}}
    (folder / "assets.lock").write_text(json.dumps(lock))
    return folder / "assets.toml"


async def test_a_lock_naming_files_outside_the_project_deletes_nothing_there(tmp_path):
    victim, absolute, linked = tmp_path / "victim.txt", tmp_path / "elsewhere" / "abs.txt", tmp_path / "elsewhere" / "linked.txt"
    absolute.parent.mkdir()
    for path in (victim, absolute, linked):
        path.write_text("keep me")
    project = tmp_path / "game"
    manifest = project_with_lock(project, {"../victim.txt": "00", str(absolute): "00", "Assets/link/linked.txt": "00"})
    (project / "Assets").mkdir()
    (project / "Assets" / "link").symlink_to(absolute.parent)

    settings = load_settings(REPO / "tests" / "model_free.toml", server__data_dir=tmp_path / "data")
    text = io.StringIO()
    code = await run_build(manifest, settings, None, None, False, None, Console(file=text, width=200))
    assert code == 0, text.getvalue()
    assert all(path.read_text() == "keep me" for path in (victim, absolute, linked))
    assert set(LockFile.read(project / "assets.lock").entries["stone"].outputs) <= {
        str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


@pytest.mark.parametrize("outputs", [{"../victim.txt": "00"}, {"/etc/passwd": "00"}, {"a\x00b": "00"}, ["not", "a", "map"]])
def test_a_lock_entry_naming_a_path_outside_the_project_is_dropped(tmp_path, outputs):
    manifest = project_with_lock(tmp_path / "game", outputs)
    assert LockFile.read(manifest.with_suffix(".lock")).entries == {}


def test_a_lock_that_is_not_json_is_treated_as_empty(tmp_path):
    manifest = project_with_lock(tmp_path / "game", {})
    manifest.with_suffix(".lock").write_text("[" * 100_000)
    assert LockFile.read(manifest.with_suffix(".lock")).entries == {}


def test_a_character_file_outside_the_project_is_refused_with_its_line(tmp_path):
    (tmp_path / "secret.json").write_text("{}")
    project = tmp_path / "game"
    project.mkdir()
    (project / "assets.toml").write_text('[[barks]]\nname = "b"\ncharacter = "smith"\nsituations = ["hi"]\n'
                                         'character_file = "../secret.json"\n')
    with pytest.raises(ManifestError) as error:
        load_manifest(project / "assets.toml")
    assert "assets.toml:5:" in str(error.value) and "character_file" in str(error.value)


@pytest.mark.parametrize("output", ['"Assets/a\\u0000b"', "5", '"/tmp/elsewhere"'])
def test_a_bad_output_path_is_an_error_naming_its_line(tmp_path, output):
    (tmp_path / "assets.toml").write_text(MANIFEST + f"output = {output}\n")
    with pytest.raises(ManifestError) as error:
        load_manifest(tmp_path / "assets.toml")
    assert "assets.toml:7:" in str(error.value) and "output" in str(error.value)


async def test_a_lock_naming_the_manifest_as_an_output_leaves_it_alone(tmp_path):
    manifest = project_with_lock(tmp_path / "game", {"assets.toml": "00"})
    settings = load_settings(REPO / "tests" / "model_free.toml", server__data_dir=tmp_path / "data")
    text = io.StringIO()
    assert await run_build(manifest, settings, None, None, False, None, Console(file=text, width=200)) == 0, text.getvalue()
    assert manifest.read_text() == MANIFEST
