"""Procedural presets: prompts pick materials, words set parameters, seeds reproduce bytes."""

from __future__ import annotations

import numpy as np
import pytest

from worldsmith.textures import procedural, prompt
from worldsmith.textures.pbr import Surface
from worldsmith.textures.presets import PRESETS


def paint(text: str, seed: int = 1, size: int = 128) -> tuple[str, Surface]:
    reading = prompt.read(text)
    parameters = {**PRESETS[reading.preset].defaults(), **reading.parameters}
    return reading.preset, procedural.render(reading.preset, parameters, size, size, True, True, seed)


@pytest.mark.parametrize("text, preset", [
    ("old wooden floor", "planks"), ("oak planks", "planks"), ("red brick wall", "bricks"), ("stone bricks", "bricks"),
    ("rough grey rock", "rock"), ("lush green grass", "grass"), ("rusty metal plate", "metal"),
    ("mossy cobblestone", "cobblestone"), ("white marble", "marble"), ("blue bathroom tiles", "tiles"),
    ("desert sand", "sand"), ("muddy ground", "dirt"), ("something unheard of", "rock"),
])
def test_prompt_picks_the_preset_of_its_head_noun(text, preset):
    assert prompt.read(text).preset == preset


@pytest.mark.parametrize("text, preset", [
    ("weathered oak floorboards", "planks"), ("Cobbles", "cobblestone"), ("mossy cobblestone path", "cobblestone"),
    ("cobblestone path with moss", "cobblestone"), ("stone path through the grass", "cobblestone"),
    ("bricks covered in moss", "bricks"), ("dirt path", "dirt"), ("wooden wall", "planks"), ("stone wall", "bricks"),
    ("slate floor", "tiles"), ("marble floor", "marble"), ("red-brick facade", "bricks"), ("sandy beaches", "sand"),
    ("dark slate", "rock"), ("the road to town", "cobblestone"), ("moss", "grass"), ("fresh snow", "sand"),
    ("cracked ice", "marble"),
])
def test_plurals_synonyms_clauses_and_surfaces_pick_the_material(text, preset):
    assert prompt.read(text).preset == preset


def test_material_words_colour_whichever_preset_was_chosen():
    stone_bricks, red_bricks = prompt.read("stone bricks"), prompt.read("red brick wall")
    assert stone_bricks.preset == red_bricks.preset == "bricks"
    grey = stone_bricks.parameters["color"]
    assert max(grey) - min(grey) < 0.08  # stone grey, not clay red
    red = red_bricks.parameters["color"]
    assert red[0] > 2 * red[1]
    dark_slate, slate = prompt.read("dark slate").parameters["color"], prompt.read("slate").parameters["color"]
    assert sum(dark_slate) < 0.75 * sum(slate)
    red_oak = prompt.read("red oak planks").parameters["color"]
    oak = prompt.read("oak planks").parameters["color"]
    assert red_oak[0] / red_oak[1] > oak[0] / oak[1]  # tinted towards red, still wood


def test_a_prompt_naming_no_material_falls_back_to_rock_and_keeps_its_colour_words():
    reading = prompt.read("something bright green")
    assert reading.preset == "rock" and reading.matched == ["bright", "green"]
    assert reading.parameters["color"][1] > reading.parameters["color"][0]


def test_keywords_make_distinct_materials():
    materials = {text: paint(text) for text in ("wood", "brick", "rock", "grass", "metal")}
    assert len({preset for preset, _ in materials.values()}) == 5
    colours = {text: surface.albedo.reshape(3, -1).mean(axis=1) for text, (_, surface) in materials.items()}
    texts = list(colours)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert np.abs(colours[a] - colours[b]).max() > 0.04, (a, b, colours[a], colours[b])
    grass_green = colours["grass"]
    assert grass_green[1] > grass_green[0] and grass_green[1] > grass_green[2]
    brick_red = colours["brick"]
    assert brick_red[0] > brick_red[1] and brick_red[0] > brick_red[2]
    metal = materials["metal"][1]
    assert np.mean(metal.metallic) > 0.9 and all(np.mean(s.metallic) == 0 for t, (_, s) in materials.items() if t != "metal")


def test_colour_and_modifier_words_set_parameters():
    reading = prompt.read("dark blue mossy large bricks")
    assert reading.preset == "bricks"
    blue = reading.parameters["color"]
    assert blue[2] > blue[0] and max(blue) < 0.5  # blue, darkened
    assert reading.parameters["moss"] > 0
    assert reading.parameters["rows"] < PRESETS["bricks"].parameters["rows"].default
    assert prompt.read("polished marble").parameters["roughness"] < PRESETS["marble"].parameters["roughness"].default
    assert "rust" not in prompt.read("rusty bricks").parameters  # bricks have no rust knob


def test_mossy_stones_are_greener_than_clean_ones():
    _, mossy = paint("mossy cobblestone")
    _, clean = paint("cobblestone")
    green_share = lambda s: s.albedo[1].mean() / s.albedo.mean()
    assert green_share(mossy) > green_share(clean) + 0.03


def test_same_seed_same_arrays_other_seed_other_material():
    _, first = paint("cobblestone", seed=9)
    _, again = paint("cobblestone", seed=9)
    _, other = paint("cobblestone", seed=10)
    assert np.array_equal(first.albedo, again.albedo) and np.array_equal(first.height, again.height)
    assert np.abs(first.albedo - other.albedo).mean() > 0.02


def test_same_material_at_any_resolution():
    _, small = paint("rock", seed=3, size=64)
    _, large = paint("rock", seed=3, size=256)
    shrunk = large.albedo.reshape(3, 64, 4, 64, 4).mean(axis=(2, 4))
    assert np.corrcoef(shrunk.ravel(), small.albedo.ravel())[0, 1] > 0.8


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_paints_a_full_surface_at_odd_aspect(name):
    surface = procedural.render(name, PRESETS[name].defaults(), 96, 64, False, True, seed=2)
    assert surface.albedo.shape == (3, 64, 96) and surface.height.shape == (64, 96)
    assert np.isfinite(surface.albedo).all() and 0 <= surface.albedo.min() and surface.albedo.max() <= 1
    assert surface.height.std() > 0.01
