"""Actions and emotions under constrained decoding: every call validates against its schema, and
in Converse the turn pauses for the game's result, then continues with it in context."""

from __future__ import annotations

import asyncio
import json

import jsonschema

from .dialogue_helpers import GIVE_ITEM_SCHEMA, ConverseClient, collect, events_of, new_session, quartermaster, realtime
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d

SCHEMAS = {"give_item": GIVE_ITEM_SCHEMA, "wave": {"type": "object", "properties": {}, "additionalProperties": False}}
SEEDS = range(1, 49)


async def test_action_calls_validate_against_their_schema_for_every_seed(service):
    card = quartermaster()
    sessions = [await new_session(service, card) for _ in SEEDS]

    async def say(seed: int, session) -> list:
        return await collect(service.Say(
            d.SayRequest(session_id=session.id, utterance="I need a sword for the road.",
                         options=d.GenerationOptions(seed=seed, max_new_tokens=24)), realtime()))

    replies = await asyncio.gather(*(say(seed, session) for seed, session in zip(SEEDS, sessions)))
    calls = [call for responses in replies for call in events_of(responses, "action_call")]
    emotions = [e.emotion for responses in replies for e in events_of(responses, "emotion")]

    assert len(calls) >= 5, "the random model should act on some seeds"
    for call in calls:
        jsonschema.validate(json.loads(call.arguments_json), SCHEMAS[call.name])
    assert emotions and set(emotions) <= set(card.emotions)
    for responses in replies:
        # Say cannot return a result: a call ends the turn.
        if events_of(responses, "action_call"):
            assert responses[-1].WhichOneof("event") == "turn_completed"
            assert [r.WhichOneof("event") for r in responses].index("action_call") == len(responses) - 2


async def _first_seed_that_acts(service, session) -> int:
    for seed in SEEDS:
        responses = await collect(service.Say(
            d.SayRequest(session_id=session.id, utterance="Hand me a shield, please.",
                         options=d.GenerationOptions(seed=seed, max_new_tokens=24)), realtime()))
        if events_of(responses, "action_call"):
            return seed
    raise AssertionError("no seed made the quartermaster act")


async def test_converse_pauses_for_the_action_result_then_continues(service):
    probe = await new_session(service, quartermaster())
    seed = await _first_seed_that_acts(service, probe)

    session = (await service.CreateSession(d.CreateSessionRequest(character_ids=["quartermaster"]), realtime())).session
    client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=seed, max_new_tokens=24))
    client.say("Hand me a shield, please.")
    before_call = await client.until("action_call")
    call = before_call[-1].action_call
    # Paused: nothing more comes until the result is sent.
    waiting = asyncio.ensure_future(client.next())
    await asyncio.sleep(0.3)
    assert not waiting.done()

    client.send(action_result=d.ActionResult(call_id=call.call_id, success=True, result_json='{"given": true}'))
    after = [await waiting]
    while after[-1].WhichOneof("event") != "turn_completed":
        response = await client.next()
        if response.WhichOneof("event") == "action_call":
            client.send(action_result=d.ActionResult(call_id=response.action_call.call_id, success=False))
        after.append(response)
    client.close()
    await client.rest()

    assert call.turn_id == before_call[0].turn_started.turn_id
    assert all(delta.utterance_index == 0 for delta in events_of(before_call, "text_delta"))
    # The reply continued: a new segment was generated with the result in context.
    assert "queued" in [r.WhichOneof("event") for r in after]
    assert all(delta.utterance_index >= 1 for delta in events_of(after, "text_delta"))
    completed = after[-1].turn_completed
    assert not completed.interrupted
    stored = (await service.GetSession(d.GetSessionRequest(session_id=session.id), realtime())).session
    remembered = [t.text for t in stored.turns if t.speaker == "event"]
    assert remembered and remembered[0].startswith(f"Ada did {call.name} ") and '{"given": true}' in remembered[0]
