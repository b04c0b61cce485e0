"""Character and lore CRUD, and the errors a malformed card gets (each naming its field)."""

from __future__ import annotations

import json

import pytest

from .dialogue_helpers import blacksmith, collect, quartermaster, realtime
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.errors import AlreadyExists, InvalidArgument, NotFound, Unavailable


async def test_character_crud_works_without_a_text_model(offline_service):
    service, ctx = offline_service, realtime()
    created = await service.UpsertCharacter(d.UpsertCharacterRequest(character=blacksmith()), ctx)
    assert created.created
    # Defaults are filled in and returned.
    assert created.character.language == "en"
    again = await service.UpsertCharacter(d.UpsertCharacterRequest(character=blacksmith(name="Bram the Elder")), ctx)
    assert not again.created
    fetched = await service.GetCharacter(d.GetCharacterRequest(character_id="blacksmith"), ctx)
    assert fetched.character.name == "Bram the Elder"
    assert list(fetched.character.personality_traits) == ["gruff", "honest"]

    await service.DeleteCharacter(d.DeleteCharacterRequest(character_id="blacksmith"), ctx)
    with pytest.raises(NotFound, match="character_id"):
        await service.GetCharacter(d.GetCharacterRequest(character_id="blacksmith"), ctx)
    with pytest.raises(NotFound, match="character_id"):
        await service.DeleteCharacter(d.DeleteCharacterRequest(character_id="blacksmith"), ctx)


async def test_turns_are_unavailable_without_a_text_model(offline_service):
    service, ctx = offline_service, realtime()
    await service.UpsertCharacter(d.UpsertCharacterRequest(character=blacksmith()), ctx)
    session = (await service.CreateSession(d.CreateSessionRequest(character_ids=["blacksmith"]), ctx)).session
    with pytest.raises(Unavailable, match="dialogue.model"):
        await collect(service.Say(d.SayRequest(session_id=session.id, utterance="Hello"), ctx))
    stored = (await service.GetSession(d.GetSessionRequest(session_id=session.id), ctx)).session
    assert len(stored.turns) == 0


async def test_list_characters_pages_in_id_order(offline_service):
    service, ctx = offline_service, realtime()
    for i in range(7):
        await service.UpsertCharacter(d.UpsertCharacterRequest(character=blacksmith(id=f"npc-{i}")), ctx)
    seen, token = [], ""
    while True:
        page = await service.ListCharacters(d.ListCharactersRequest(page_size=3, page_token=token), ctx)
        seen += [c.id for c in page.characters]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"npc-{i}" for i in range(7)]
    with pytest.raises(InvalidArgument, match="page_token"):
        await service.ListCharacters(d.ListCharactersRequest(page_token="%%%"), ctx)


@pytest.mark.parametrize(
    "card, field",
    [
        (blacksmith(id=""), "character.id"),
        (blacksmith(id="has space"), "character.id"),
        (blacksmith(name=""), "character.name"),
        (blacksmith(emotions=["happy", "Happy!"]), "character.emotions[1]"),
        (blacksmith(emotions=["happy", "happy"]), "character.emotions[1]"),
        (blacksmith(language="english language"), "character.language"),
        (blacksmith(actions=[d.ActionSpec(name="give"), d.ActionSpec(name="give")]), "character.actions[1].name"),
        (blacksmith(actions=[d.ActionSpec(name="give-item")]), "character.actions[0].name"),
        (blacksmith(actions=[d.ActionSpec(name="a"), d.ActionSpec(name="b", arguments_schema_json="{not json")]),
         "character.actions[1].arguments_schema_json"),
        (blacksmith(actions=[d.ActionSpec(name="a", arguments_schema_json='{"type": "string"}')]),
         "character.actions[0].arguments_schema_json"),
        (blacksmith(actions=[d.ActionSpec(name="a", arguments_schema_json='{"type": "object", "properties": {"n": {"type": "integr"}}}')]),
         "character.actions[0].arguments_schema_json"),
        (blacksmith(actions=[d.ActionSpec(name="a", arguments_schema_json='{"type": "object", "properties": {"n": {"$ref": "#/nowhere"}}}')]),
         "character.actions[0].arguments_schema_json"),
    ],
)
async def test_malformed_cards_name_the_field(offline_service, card, field):
    with pytest.raises(InvalidArgument) as raised:
        await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    assert field in [f for f, _ in raised.value.violations]
    listing = await offline_service.ListCharacters(d.ListCharactersRequest(), realtime())
    assert len(listing.characters) == 0


async def test_every_problem_of_a_card_is_reported(offline_service):
    card = blacksmith(id="", emotions=["OK?"], actions=[d.ActionSpec(name="x", arguments_schema_json="[]")])
    with pytest.raises(InvalidArgument) as raised:
        await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    fields = {f for f, _ in raised.value.violations}
    assert fields == {"character.id", "character.emotions[0]", "character.actions[0].arguments_schema_json"}


async def test_a_valid_card_with_actions_round_trips(offline_service):
    created = await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=quartermaster()), realtime())
    assert [a.name for a in created.character.actions] == ["give_item", "wave"]
    assert json.loads(created.character.actions[0].arguments_schema_json)["required"] == ["item", "count"]


async def test_lore_crud_and_tag_filter(offline_service):
    service, ctx = offline_service, realtime()
    entries = [
        d.LoreEntry(id="river", text="The river floods each spring.", tags=["village"]),
        d.LoreEntry(id="password", text="The password is 'moonlit eel'.", tags=["thieves_guild"]),
    ]
    assert (await service.UpsertLore(d.UpsertLoreRequest(entries=entries), ctx)).upserted == 2
    assert [e.id for e in (await service.ListLore(d.ListLoreRequest(), ctx)).entries] == ["password", "river"]
    tagged = (await service.ListLore(d.ListLoreRequest(tag="village"), ctx)).entries
    assert [e.id for e in tagged] == ["river"]
    assert tagged[0].visibility == d.LORE_VISIBILITY_GLOBAL
    await service.DeleteLore(d.DeleteLoreRequest(lore_id="river"), ctx)
    assert [e.id for e in (await service.ListLore(d.ListLoreRequest(), ctx)).entries] == ["password"]
    with pytest.raises(NotFound, match="lore_id"):
        await service.DeleteLore(d.DeleteLoreRequest(lore_id="river"), ctx)


@pytest.mark.parametrize(
    "entry, field",
    [
        (d.LoreEntry(id="x", text=""), "entries[0].text"),
        (d.LoreEntry(id="x", text="t", visibility=d.LORE_VISIBILITY_FACTION), "entries[0].faction"),
        (d.LoreEntry(id="x", text="t", visibility=d.LORE_VISIBILITY_QUEST_STATE), "entries[0].quest_flag"),
        (d.LoreEntry(id="x", text="t", tags=["Bad Tag"]), "entries[0].tags[0]"),
    ],
)
async def test_malformed_lore_names_the_field(offline_service, entry, field):
    with pytest.raises(InvalidArgument) as raised:
        await offline_service.UpsertLore(d.UpsertLoreRequest(entries=[entry]), realtime())
    assert field in [f for f, _ in raised.value.violations]


async def test_session_errors_name_the_field(offline_service):
    service, ctx = offline_service, realtime()
    with pytest.raises(InvalidArgument, match="character_ids"):
        await service.CreateSession(d.CreateSessionRequest(), ctx)
    with pytest.raises(NotFound, match=r"character_ids\[0\]"):
        await service.CreateSession(d.CreateSessionRequest(character_ids=["nobody"]), ctx)
    await service.UpsertCharacter(d.UpsertCharacterRequest(character=blacksmith()), ctx)
    await service.CreateSession(d.CreateSessionRequest(session_id="s1", character_ids=["blacksmith"]), ctx)
    with pytest.raises(AlreadyExists, match="session_id"):
        await service.CreateSession(d.CreateSessionRequest(session_id="s1", character_ids=["blacksmith"]), ctx)
    with pytest.raises(NotFound, match="session_id"):
        await service.GetSession(d.GetSessionRequest(session_id="missing"), ctx)
    with pytest.raises(NotFound, match="session_id"):
        await collect(service.Say(d.SayRequest(session_id="missing", utterance="hi"), ctx))
