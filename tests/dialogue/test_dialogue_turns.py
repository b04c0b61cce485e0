"""Streamed turns over Say and Converse on the tiny model: events, history, seeds, interrupts, cancels."""

from __future__ import annotations

import asyncio

import pytest

from .dialogue_helpers import ConverseClient, blacksmith, collect, events_of, new_session, realtime
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.dialogue.prompt import PLAYER, TurnInput
from worldsmith.errors import InvalidArgument, NotFound
from worldsmith.runtime import metrics

Reason = d.TurnEndReason


def kinds(responses) -> list[str]:
    return [r.WhichOneof("event") for r in responses]


async def get_session(service, session_id):
    return (await service.GetSession(d.GetSessionRequest(session_id=session_id), realtime())).session


async def test_say_streams_one_turn_and_records_it(service):
    session = await new_session(service, blacksmith())
    responses = await collect(service.Say(
        d.SayRequest(session_id=session.id, utterance="Good morning! Any swords for sale?",
                     options=d.GenerationOptions(seed=3, max_new_tokens=20)), realtime()))

    order = kinds(responses)
    assert order[0] == "turn_started" and order[-1] == "turn_completed"
    assert "text_delta" in order and order.count("turn_completed") == 1
    started, completed = responses[0].turn_started, responses[-1].turn_completed
    deltas = events_of(responses, "text_delta")
    assert all(delta.turn_id == started.turn_id == completed.turn_id for delta in deltas)
    assert started.character_id == "blacksmith"
    assert completed.text == "".join(delta.text for delta in deltas).strip()
    assert completed.completion_tokens == 20 and completed.reason == Reason.TURN_END_REASON_MAX_TOKENS
    assert completed.prompt_tokens > 0 and completed.time_to_first_token_ms > 0 and not completed.interrupted

    stored = await get_session(service, session.id)
    assert [(t.speaker, t.text) for t in stored.turns] == [
        ("player", "Good morning! Any swords for sale?"), ("blacksmith", completed.text)]


async def test_same_seed_and_history_give_the_same_reply(service):
    first = await new_session(service, blacksmith())
    second = (await service.CreateSession(d.CreateSessionRequest(character_ids=["blacksmith"]), realtime())).session
    replies = []
    for session in (first, second):
        responses = await collect(service.Say(
            d.SayRequest(session_id=session.id, utterance="Tell me about the river.",
                         options=d.GenerationOptions(seed=11, max_new_tokens=16)), realtime()))
        replies.append(responses[-1].turn_completed.text)
    assert replies[0] == replies[1] and replies[0]


async def test_a_callers_stop_sequence_ends_the_turn_before_it(service):
    options = d.GenerationOptions(seed=3, max_new_tokens=20)
    said = "Good morning! Any swords for sale?"
    first = await new_session(service, blacksmith())
    full = (await collect(service.Say(d.SayRequest(session_id=first.id, utterance=said, options=options),
                                      realtime())))[-1].turn_completed.text
    words = [word for word in full.split() if word.isalpha() and full.index(word) > 0]
    stop = words[len(words) // 2]

    second = (await service.CreateSession(d.CreateSessionRequest(character_ids=["blacksmith"]), realtime())).session
    options.stop_sequences.append(stop)
    responses = await collect(service.Say(d.SayRequest(session_id=second.id, utterance=said, options=options),
                                          realtime()))
    completed = responses[-1].turn_completed
    assert completed.reason == Reason.TURN_END_REASON_STOP_SEQUENCE and not completed.interrupted
    spoken = "".join(delta.text for delta in events_of(responses, "text_delta"))
    assert completed.text == spoken.strip() == full[: full.index(stop)].strip()
    assert stop not in spoken


async def test_converse_streams_turns_one_after_another(service):
    session = await new_session(service, blacksmith())
    client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=5, max_new_tokens=12))
    client.say("Hello, smith.")
    first = await client.until("turn_completed")
    client.say("Can you mend my shield?")
    second = await client.until("turn_completed")
    client.close()
    assert await client.rest() == []

    for responses in (first, second):
        assert kinds(responses)[0] == "turn_started"
        assert not responses[-1].turn_completed.interrupted
    assert first[0].turn_started.turn_id != second[0].turn_started.turn_id
    stored = await get_session(service, session.id)
    assert [t.speaker for t in stored.turns] == ["player", "blacksmith", "player", "blacksmith"]
    assert stored.turns[3].text == second[-1].turn_completed.text


async def test_cancel_stops_generation_and_history_keeps_what_was_delivered(service):
    session = await new_session(service, blacksmith())
    client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=2, max_new_tokens=400))
    before_count, before_sum = _tokens_after_cancel()
    client.say("Tell me the whole history of the village, slowly.")
    received = await client.until("text_delta")
    received += [await client.next() for _ in range(3)]
    client.send(cancel=d.CancelTurn(turn_id=received[0].turn_started.turn_id))
    received += await client.until("turn_completed")
    client.close()
    await client.rest()

    completed = received[-1].turn_completed
    assert completed.interrupted and completed.reason == Reason.TURN_END_REASON_CANCELLED
    assert completed.completion_tokens < 400
    delivered = "".join(delta.text for delta in events_of(received, "text_delta"))
    assert completed.text == delivered.strip()
    after_count, after_sum = _tokens_after_cancel()
    assert after_count == before_count + 1
    assert after_sum - before_sum <= 4, "generation went on after the cancel"
    stored = await get_session(service, session.id)
    assert stored.turns[-1].text == delivered.strip() and stored.turns[-1].interrupted


async def test_a_client_that_goes_away_mid_turn_stops_the_generation_and_is_counted(service):
    session = await new_session(service, blacksmith())
    before_count, before_sum = _tokens_after_cancel()
    stream = service.Say(d.SayRequest(session_id=session.id, utterance="Tell me the whole history of the village.",
                                      options=d.GenerationOptions(seed=2, max_new_tokens=400)), realtime())
    async for response in stream:
        if response.WhichOneof("event") == "text_delta":
            break
    await stream.aclose()  # what a disconnect does to the handler

    for _ in range(100):
        after_count, after_sum = _tokens_after_cancel()
        if after_count > before_count:
            break
        await asyncio.sleep(0.05)
    assert after_count == before_count + 1, "the disconnect was not counted as a stopped turn"
    assert after_sum - before_sum <= 2, "generation went on after the client left"
    stored = await get_session(service, session.id)
    assert stored.turns[-1].interrupted


def _tokens_after_cancel() -> tuple[float, float]:
    samples = {s.name: s.value for s in metrics.TOKENS_AFTER_CANCEL.collect()[0].samples}
    return samples["worldsmith_dialogue_tokens_after_cancel_count"], samples["worldsmith_dialogue_tokens_after_cancel_sum"]


async def test_a_new_utterance_interrupts_the_turn_speaking(service):
    session = await new_session(service, blacksmith())
    client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=4, max_new_tokens=400))
    client.say("Tell me a long story.")
    received = await client.until("text_delta")
    received.append(await client.next())
    client.say("Stop, I need a sword!")
    received += await client.until("turn_completed")
    interrupted = received[-1].turn_completed
    second = await client.until("turn_completed")
    client.close()
    await client.rest()

    assert interrupted.interrupted and interrupted.reason == Reason.TURN_END_REASON_INTERRUPTED
    assert interrupted.text == "".join(delta.text for delta in events_of(received, "text_delta")).strip()
    assert not second[-1].turn_completed.interrupted
    stored = await get_session(service, session.id)
    speakers = [(t.speaker, t.interrupted) for t in stored.turns]
    expected = [("player", False), ("blacksmith", True), ("player", False), ("blacksmith", False)]
    if not interrupted.text:  # nothing had been delivered yet: no NPC line is kept
        expected.pop(1)
    assert speakers == expected
    assert stored.turns[-2].text == "Stop, I need a sword!"


async def test_sixteen_concurrent_conversations_all_complete(service):
    sessions = [await new_session(service, blacksmith()) for _ in range(16)]

    async def converse(index: int, session):
        client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=index + 1, max_new_tokens=16))
        client.say(f"Hello from traveller {index}.")
        responses = await client.until("turn_completed")
        client.close()
        await client.rest()
        return responses[-1].turn_completed

    completed = await asyncio.gather(*(converse(i, s) for i, s in enumerate(sessions)))
    finished = (Reason.TURN_END_REASON_COMPLETED, Reason.TURN_END_REASON_MAX_TOKENS)
    assert all(1 <= c.completion_tokens <= 16 and c.reason in finished and not c.interrupted for c in completed)
    for session, done in zip(sessions, completed):
        stored = await get_session(service, session.id)
        assert stored.turns[-1].text == done.text


async def test_bad_turn_input_is_refused_and_leaves_the_session_alone(service, settings):
    session = await new_session(service, blacksmith())
    ctx = realtime()
    await collect(service.Say(d.SayRequest(session_id=session.id, utterance="Hi.",
                                           options=d.GenerationOptions(seed=1, max_new_tokens=8)), ctx))
    cases = [
        (d.SayRequest(session_id=session.id, utterance="   "), "utterance"),
        (d.SayRequest(session_id=session.id, utterance="x" * (settings.max_utterance_chars + 1)), "utterance"),
        (d.SayRequest(session_id=session.id, utterance="hi", character_id="innkeeper"), "character_id"),
        (d.SayRequest(session_id=session.id, utterance="hi", options=d.GenerationOptions(top_p=1.5)), "options.top_p"),
        (d.SayRequest(session_id=session.id, utterance="hi", options=d.GenerationOptions(max_new_tokens=100000)),
         "options.max_new_tokens"),
    ]
    for request, field in cases:
        with pytest.raises(InvalidArgument) as raised:
            await collect(service.Say(request, ctx))
        assert raised.value.violations[0][0] == field
    stored = await get_session(service, session.id)
    assert len(stored.turns) == 2


async def test_converse_refuses_bad_messages_by_field(service, settings):
    session = await new_session(service, blacksmith())

    async def first_error(*messages, start=True):
        client = ConverseClient(service, session.id if start else "nope")
        for message in messages:
            client.send(**message)
        with pytest.raises((InvalidArgument, NotFound)) as raised:
            await client.rest()
        return raised.value

    assert "start.session_id" in (await first_error(start=False)).message
    assert (await first_error({"start": d.ConverseStart(session_id=session.id)})).violations[0][0] == "start"
    long_text = {"utterance": d.PlayerUtterance(text="y" * (settings.max_utterance_chars + 1))}
    assert (await first_error(long_text)).violations[0][0] == "utterance.text"
    unknown = {"action_result": d.ActionResult(call_id="never-made", success=True)}
    assert (await first_error(unknown)).violations[0][0] == "action_result.call_id"
    assert (await first_error({"cancel": d.CancelTurn(turn_id="no-such-turn")})).violations[0][0] == "cancel.turn_id"
    assert len((await get_session(service, session.id)).turns) == 0


async def test_group_sessions_name_who_answers_and_who_spoke(service):
    innkeeper = blacksmith(id="innkeeper", name="Mol", role="the innkeeper")
    session = await new_session(service, blacksmith(), innkeeper)
    with pytest.raises(InvalidArgument) as raised:
        await collect(service.Say(d.SayRequest(session_id=session.id, utterance="Hello, both of you."), realtime()))
    assert raised.value.violations[0][0] == "character_id"

    options = d.GenerationOptions(seed=1, max_new_tokens=8)
    await collect(service.Say(d.SayRequest(session_id=session.id, character_id="innkeeper", utterance="A room, please.",
                                           options=options), realtime()))
    sampling = service.director.sampling(options, "options")
    fields = {"session_id": "session_id", "character_id": "character_id", "input": "utterance"}
    turn = await service.director.prepare(session.id, "blacksmith", [TurnInput(PLAYER, "And a sword?")], sampling,
                                          fields, realtime())
    system, history = turn.plan.messages[0]["content"], turn.plan.messages[1]["content"]
    assert "Also in this conversation: Mol." in system
    assert history.startswith("Player: A room, please.\nMol: ")
    assert history.endswith("Player: And a sword?")


async def test_converse_game_events_update_the_world_and_start_turns(service):
    session = await new_session(service, blacksmith(), weather="rain")
    client = ConverseClient(service, session.id, options=d.GenerationOptions(seed=3, max_new_tokens=8))
    client.send(event=d.GameEvent(world_state={"weather": "", "alarm": "on"}))
    client.send(event=d.GameEvent(description="The player drew a sword."))
    responses = await client.until("turn_completed")
    client.close()
    await client.rest()

    assert kinds(responses)[0] == "turn_started"
    stored = await get_session(service, session.id)
    assert dict(stored.world_state) == {"alarm": "on"}
    assert (stored.turns[0].speaker, stored.turns[0].text) == ("event", "The player drew a sword.")
    assert stored.turns[1].speaker == "blacksmith" or len(stored.turns) == 1
