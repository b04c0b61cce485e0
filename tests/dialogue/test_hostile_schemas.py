"""Hostile action arguments schemas and oversized cards are refused with INVALID_ARGUMENT naming the field; the
largest card accepted is checked off the event loop."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from .dialogue_helpers import blacksmith, realtime
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.dialogue import schema_limits
from worldsmith.errors import InvalidArgument

FIELD = "character.actions[0].arguments_schema_json"


def nested(depth: int) -> str:
    return '{"type": "object", "properties": {"inner": ' * depth + '{"type": "string"}' + "}}" * depth


def with_properties(count: int) -> str:
    return json.dumps({"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(count)}})


HOSTILE = {
    "nested 200 deep": nested(200),
    "nested 5000 deep": nested(5000),
    "array 100k deep": "[" * 100_000 + "]" * 100_000,
    "recursive ref": json.dumps({"type": "object", "properties": {"next": {"$ref": "#"}}}),
    "recursive def": json.dumps({"type": "object", "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
                                 "properties": {"root": {"$ref": "#/$defs/node"}}}),
    "remote ref": json.dumps({"type": "object", "properties": {"item": {"$ref": "http://example.com/item.json"}}}),
    "huge minLength": '{"type": "object", "properties": {"word": {"type": "string", "minLength": 1e9}}}',
    "too many properties": with_properties(schema_limits.MAX_SCHEMA_PROPERTIES + 1),
    "20k properties": with_properties(20_000),
    "ref fan-out": json.dumps({"type": "object", "$defs": {
        **{f"d{i}": {"type": "array", "prefixItems": [{"$ref": f"#/$defs/d{i + 1}"}] * 8} for i in range(6)},
        "d6": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/d0"}}}),
}


@pytest.mark.parametrize("schema", HOSTILE.values(), ids=HOSTILE.keys())
async def test_hostile_schemas_are_refused_naming_the_field(offline_service, schema):
    card = blacksmith(actions=[d.ActionSpec(name="give", arguments_schema_json=schema)])
    with pytest.raises(InvalidArgument) as raised:
        await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    assert [field for field, _ in raised.value.violations] == [FIELD]


async def test_a_local_non_recursive_ref_is_accepted(offline_service):
    schema = {"type": "object", "$defs": {"item": {"type": "string", "maxLength": 40}},
              "properties": {"item": {"$ref": "#/$defs/item"}, "spare": {"$ref": "#/$defs/item"}}, "required": ["item"]}
    card = blacksmith(actions=[d.ActionSpec(name="give", arguments_schema_json=json.dumps(schema))])
    created = await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    assert json.loads(created.character.actions[0].arguments_schema_json) == schema


async def test_too_many_actions_are_refused_before_any_schema_is_compiled(offline_service):
    schema = with_properties(schema_limits.MAX_SCHEMA_PROPERTIES)
    card = blacksmith(actions=[d.ActionSpec(name=f"act_{i}", arguments_schema_json=schema) for i in range(10_000)])
    started = time.perf_counter()
    with pytest.raises(InvalidArgument) as raised:
        await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    elapsed = time.perf_counter() - started
    assert [field for field, _ in raised.value.violations] == ["character.actions"]
    assert elapsed < 5, f"refusing 10,000 actions took {elapsed:.1f} s; the count is checked before compiling"


async def test_the_largest_card_accepted_is_checked_without_stalling_the_event_loop(offline_service):
    schema = json.dumps({"type": "object", "properties": {f"p{i}": {"type": "string", "maxLength": 64}
                                                          for i in range(schema_limits.MAX_SCHEMA_PROPERTIES)}})
    card = blacksmith(actions=[d.ActionSpec(name=f"act_{i}", arguments_schema_json=schema) for i in range(64)])
    ticks, stop = [time.perf_counter()], asyncio.Event()

    async def ticker() -> None:  # what a health probe or another player's stream sees of the loop meanwhile
        while not stop.is_set():
            await asyncio.sleep(0.005)
            ticks.append(time.perf_counter())

    running = asyncio.create_task(ticker())
    started = time.perf_counter()
    await offline_service.UpsertCharacter(d.UpsertCharacterRequest(character=card), realtime())
    took = time.perf_counter() - started
    stop.set()
    await running
    longest_gap = max(b - a for a, b in zip(ticks, ticks[1:]))
    assert longest_gap < min(0.25, took / 2), f"checking the card took {took:.2f} s; the loop stood still for {longest_gap:.2f} s"
