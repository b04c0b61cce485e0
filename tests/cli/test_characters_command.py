"""`worldsmith characters import FILE`: JSON and TOML cards (and lore) into the store."""

from __future__ import annotations

import json

import pytest

from worldsmith.cli.characters import import_characters as import_into_settings
from worldsmith.config import Settings
from worldsmith.errors import InvalidArgument
from worldsmith.store import Store

TOML_CARDS = '''
[[characters]]
id = "quartermaster"
name = "Ada"
role = "the garrison quartermaster"
emotions = ["calm", "wary"]
content_rating = "teen"
knowledge_tags = ["garrison"]

[[characters.actions]]
name = "give_item"
description = "Hand the player an item."
arguments_schema = { type = "object", properties = { item = { type = "string", maxLength = 20 } }, required = ["item"] }

[[characters]]
id = "blacksmith"
name = "Bram"

[[lore]]
id = "armoury"
text = "The armoury key hangs behind the quartermaster's desk."
tags = ["garrison"]
visibility = "global"
'''


def import_characters(path, data_dir):
    return import_into_settings(path, Settings(server={"data_dir": str(data_dir)}))


def stored(data_dir):
    store = Store.open(data_dir)
    try:
        return store.characters.page("", 100), store.lore.list()
    finally:
        store.close()


def test_import_toml_cards_and_lore(tmp_path):
    path = tmp_path / "cards.toml"
    path.write_text(TOML_CARDS)
    summary = import_characters(path, tmp_path / "data")
    assert summary.created == ["quartermaster", "blacksmith"] and summary.lore_entries == 1
    assert str(summary) == "2 character(s) created, 0 updated, 1 lore entry upserted"

    characters, lore = stored(tmp_path / "data")
    ada = next(c for c in characters if c.id == "quartermaster")
    assert ada.content_rating == 2  # TEEN
    assert json.loads(ada.actions[0].arguments_schema_json)["required"] == ["item"]
    assert [entry.id for entry in lore] == ["armoury"]
    # Importing again updates in place.
    assert import_characters(path, tmp_path / "data").updated == ["quartermaster", "blacksmith"]


def test_import_json_single_card_and_list(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"id": "innkeeper", "name": "Mol", "personality_traits": ["warm"]}))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": "guard", "name": "Tor"}, {"id": "priest", "name": "Ilse"}]))
    assert import_characters(single, tmp_path / "data").created == ["innkeeper"]
    assert import_characters(many, tmp_path / "data").created == ["guard", "priest"]
    assert [c.id for c in stored(tmp_path / "data")[0]] == ["guard", "innkeeper", "priest"]


@pytest.mark.parametrize("content, field", [
    ([{"id": "a", "name": "A"}, {"id": "b", "name": "B", "actions": [{"name": "x"}, {"name": "x"}]}],
     "characters[1].actions[1].name"),
    ([{"id": "a", "name": "A", "actions": [{"name": "x", "arguments_schema": {"type": "object", "required": 3}}]}],
     "characters[0].actions[0].arguments_schema_json"),
    ([{"id": "a", "name": "A"}, {"id": "a", "name": "Again"}], "characters[1].id"),
    ([{"id": "a", "name": "A", "content_rating": "violent"}], "characters[0]"),
    ({"lore": [{"id": "l", "text": "t", "visibility": "faction"}]}, "lore[0].faction"),
])
def test_a_bad_file_names_the_field_and_changes_nothing(tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(InvalidArgument) as raised:
        import_characters(path, tmp_path / "data")
    assert field in [f for f, _ in raised.value.violations]
    assert stored(tmp_path / "data") == ([], [])


def test_unreadable_files_are_reported(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[[characters]\nid = ")
    with pytest.raises(InvalidArgument, match="not valid TOML"):
        import_characters(path, tmp_path / "data")
