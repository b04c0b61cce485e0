"""The Godot add-on and demo: every GDScript parses and lints clean, every res:// path resolves."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from gdtoolkit.linter import DEFAULT_CONFIG, lint_code
from gdtoolkit.parser import parser

REPO = Path(__file__).resolve().parents[2]
ADDON = REPO / "clients" / "godot" / "addons" / "worldsmith"
DEMO = REPO / "examples" / "godot_demo"
SCRIPTS = sorted([*ADDON.rglob("*.gd"), *(p for p in DEMO.glob("*.gd"))])


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_gdscript_parses_and_lints_clean(path):
    code = path.read_text()
    parser.parse(code)  # raises on a syntax error
    problems = lint_code(code, DEFAULT_CONFIG)
    assert not problems, "\n".join(f"{path.name}:{p.line}: {p.description} ({p.name})" for p in problems)


def test_lint_catches_a_broken_script():
    with pytest.raises(Exception):
        parser.parse("func broken(:\n\tpass\n")
    assert lint_code("var BadName = 1\n", DEFAULT_CONFIG)


def test_class_names_are_unique():
    names = [m.group(1) for p in SCRIPTS for m in re.finditer(r"^class_name (\w+)", p.read_text(), re.M)]
    assert len(names) == len(set(names)), names


def _ini(path: Path) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None, strict=False)
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith(";"))
    config.read_string(text.replace("config_version=5", "[root]\nconfig_version=5", 1))
    return config


def _resolve(project: Path, value: str) -> Path:
    return project / value.strip('"*').removeprefix("res://")


def test_plugin_cfg_names_an_editor_plugin():
    plugin = _ini(ADDON / "plugin.cfg")["plugin"]
    script = ADDON / plugin["script"].strip('"')
    assert "extends EditorPlugin" in script.read_text()


def test_demo_project_paths_resolve():
    assert (DEMO / "addons" / "worldsmith").resolve() == ADDON.resolve()
    project = _ini(DEMO / "project.godot")
    assert _resolve(DEMO, project["application"]["run/main_scene"]).is_file()
    assert _resolve(DEMO, project["autoload"]["Worldsmith"]).is_file()
    for plugin in re.findall(r'"(res://[^"]+)"', project["editor_plugins"]["enabled"]):
        assert _resolve(DEMO, plugin).is_file()
    for scene in DEMO.glob("*.tscn"):
        for resource in re.findall(r'path="(res://[^"]+)"', scene.read_text()):
            assert _resolve(DEMO, resource).is_file(), f"{scene.name} names missing {resource}"
