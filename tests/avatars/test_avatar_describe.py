"""The rule-based description parser: heights in any unit, colour, build and style words, archetypes."""

from __future__ import annotations

import pytest

from worldsmith.avatars import colors
from worldsmith.avatars.describe import parse


@pytest.mark.parametrize("text, metres", [
    ("a 1.9 m knight", 1.9), ("190cm tall", 1.9), ("she is 165 centimetres", 1.65), ("6'2\" pirate", 1.8796),
    ("6 ft 2 in", 1.8796), ("six foot two", 1.8796), ("5 feet", 1.524), ("74 inches", 1.8796), ("1,75 m", 1.75),
    ("a 40 m giant", 2.4),  # descriptions are read generously: clamped to the range
])
def test_heights_in_common_units(text, metres):
    assert parse(text).height_m == pytest.approx(metres, abs=1e-4)


def test_colour_build_and_style_words():
    params = parse("Slim woman, long red hair, green eyes, olive skin, dark green cloak and leather boots, glasses")
    assert params.build < 0.3
    assert params.hair_style == "long"
    assert params.hair_color.r > 2 * params.hair_color.b
    assert params.eye_color.g > params.eye_color.r
    assert params.skin_tone == colors.hex_color(colors.SKIN["olive"])
    kinds = {piece.kind: piece for piece in params.outfit}
    assert set(kinds) == {"cloak", "boots"}
    assert kinds["cloak"].color.g < colors.hex_color(colors.NAMED["green"]).g  # dark green
    assert kinds["boots"].color == colors.hex_color(colors.MATERIALS["leather"])
    assert list(params.accessories) == ["glasses"]


def test_only_what_the_text_says_is_set():
    params = parse("a person")
    assert not params.ListFields()
    assert not parse("short hair").HasField("height_m") and parse("short hair").hair_style == "short"
    assert parse("short man").height_m < 1.7


def test_archetypes_give_defaults_that_words_override():
    ranger = parse("tall elf ranger, green cloak")
    assert ranger.height_m > 1.9 and ranger.build < 0.3
    assert "elf_ears" in ranger.accessories and "belt" in ranger.accessories
    cloak = next(piece for piece in ranger.outfit if piece.kind == "cloak")
    assert cloak.color == colors.hex_color(colors.NAMED["green"])
    assert {piece.kind for piece in ranger.outfit} == {"shirt", "trousers", "boots", "cloak"}
    assert parse("short dwarf").height_m < parse("dwarf").height_m < 1.5
    assert parse("orc").skin_tone == colors.hex_color(colors.SKIN["green"])


def test_deterministic():
    text = "burly blonde pirate in a red coat with a scarf, 6 foot"
    assert parse(text) == parse(text)


@pytest.mark.parametrize("text, beard, moustache", [
    ("a man with a beard", "full", ""), ("long grey beard", "long", ""), ("young man with a goatee", "goatee", ""),
    ("unshaven sailor", "stubble", ""), ("handlebar moustache", "", "handlebar"), ("a bearded wizard with a moustache", "full", "chevron"),
    ("dwarf", "full", ""), ("clean shaven dwarf", "none", "none"),
])
def test_beards_and_moustaches_with_their_styles(text, beard, moustache):
    params = parse(text)
    assert (params.beard_style, params.moustache_style) == (beard, moustache)


def test_beard_colour_words_colour_the_beard_not_the_hair():
    params = parse("black hair and a long white beard")
    assert params.facial_hair_color.r > 0.5 > params.hair_color.r


@pytest.mark.parametrize("text, kind", [
    ("mage in a red robe", "robe"), ("woman in a blue dress", "dress"), ("princess in a long pink dress", "gown"),
    ("knight in plate armour", "plate_armour"), ("archer in studded leather armor", "leather_armour"),
    ("blacksmith with an apron", "apron"), ("bearded man in chainmail", "plate_armour"),
])
def test_robes_dresses_armour_and_aprons(text, kind):
    assert kind in {piece.kind for piece in parse(text).outfit}


def test_sex_age_and_folk_words():
    assert parse("young woman").femininity == 1.0 and parse("young woman").age <= 30
    assert parse("old man").femininity == 0.0 and parse("old man").age >= 60
    assert parse("a 45 year old knight").age == 45
    assert parse("dwarf").femininity < 0.5 and parse("dwarf woman").femininity == 1.0  # a calling leans, a word decides
    assert parse("short stocky dwarf").body_plan == "dwarf" and parse("short stocky dwarf").height_m < 1.35
    assert parse("tall slender elf").body_plan == "elf" and "elf_ears" in parse("elf").accessories
    assert parse("muscular man").muscle > 0.8 and parse("thin man").build < 0.2
    assert not parse("old leather boots").HasField("age")  # "old" describes the boots
