"""The pieces of a two-phase turn that need no model: reply languages, the script a base model continues,
the decision's schema, action names kept out of speech, and a script line's end."""

from __future__ import annotations

import json

import jsonschema

from .dialogue_helpers import GIVE_ITEM_SCHEMA, blacksmith, new_session, quartermaster, realtime
from worldsmith.dialogue.language import reply_language
from worldsmith.dialogue.prompt import speaker_cue, transcript
from worldsmith.dialogue.rating import RatingFilter
from worldsmith.dialogue.reply import decision_guide, decision_schema, example_arguments
from worldsmith.dialogue.turns import LINE_END, Sampling, Turn, TurnOutcome, TurnPlan
from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.runtime.generation import GenerationResult, TextChunk


def test_the_player_is_answered_in_their_language_when_the_card_lists_it():
    bram = blacksmith(languages=["de", "fr"])
    assert reply_language(bram, "Guten Morgen, hast du Eisen für mich?") == "de"
    assert reply_language(bram, "Bonjour, avez-vous du fer pour moi ?") == "fr"
    assert reply_language(bram, "Good morning, any iron for me?") == "en"
    # Spanish is not on the card: the answer stays in the card's own language.
    assert reply_language(bram, "Hola amigo, ¿tienes hierro para mí?") == "en"
    assert reply_language(blacksmith(language="de"), "Hello there") == "de"


def test_a_script_names_each_speaker_and_ends_where_the_character_speaks():
    messages = [{"role": "system", "content": "A scene from a game."},
                {"role": "user", "content": "Player: Hello!"},
                {"role": "assistant", "content": "Aye."},
                {"role": "user", "content": "[event] The bell rings.\nPlayer: What was that?"}]
    script = transcript(messages, "Bram", cue=speaker_cue("Bram", "de"))
    assert script == ("A scene from a game.\n\nPlayer: Hello!\nBram: Aye.\n[event] The bell rings.\n"
                      "Player: What was that?\nBram [Deutsch]:")
    assert speaker_cue("Bram", "en-GB") == "Bram:"


def test_the_decision_schema_allows_only_the_cards_choices():
    ada = quartermaster()
    schema = decision_schema(ada)
    jsonschema.validate({"emotion": "wary", "then": None}, schema)
    jsonschema.validate({"emotion": "calm", "then": {"action": "give_item", "arguments": {"item": "sword", "count": 2}}}, schema)
    for bad in ({"emotion": "furious", "then": None},
                {"emotion": "calm", "then": {"action": "fly", "arguments": {}}},
                {"emotion": "calm", "then": {"action": "give_item", "arguments": {"item": "sword", "count": 9}}},
                # The card's schema allows more properties; generation declares only its own.
                {"emotion": "calm", "then": {"action": "give_item", "arguments": {"item": "sword", "count": 1, "x": 1}}}):
        assert not jsonschema.Draft202012Validator(schema).is_valid(bad), bad


def test_worked_examples_in_a_script_are_valid_decisions():
    ada = quartermaster()
    guide = decision_guide(ada, script=True)
    notes = [line.split(":", 1)[1].strip().removesuffix("]") for line in guide.splitlines() if line.startswith("[Ada's mood")]
    assert len(notes) == 4  # chatter with no action, then an ask, for each of the two actions
    for note in notes:
        jsonschema.validate(json.loads(note), decision_schema(ada))
    assert example_arguments(GIVE_ITEM_SCHEMA) == {"item": "sword", "count": 1}


def test_action_names_never_reach_the_player_even_split_across_pieces():
    words = RatingFilter(dialogue_pb2.CONTENT_RATING_MATURE, removed=["give_item"])
    spoken = words.feed("I give_") + words.feed("item: here, the give_item sword") + words.flush()
    assert spoken == "I here, the sword"


async def test_a_turn_that_said_nothing_is_stored_and_shown_as_silence(service):
    from worldsmith.dialogue.director import Delivered
    from worldsmith.dialogue.prompt import SILENCE, TurnInput

    session = await new_session(service, blacksmith())
    director = service.director
    turn = await director.prepare(session.id, "", [TurnInput("player", "Hello?")], director.sampling(
        dialogue_pb2.GenerationOptions(), "options"), {"session_id": "session_id", "character_id": "character_id",
                                                       "input": "utterance"}, realtime())
    assert director.record(turn, Delivered(), outcome=None, interrupted=False) == ""
    stored = (await service.GetSession(dialogue_pb2.GetSessionRequest(session_id=session.id), realtime())).session
    assert [(t.speaker, t.text) for t in stored.turns] == [("player", "Hello?"), ("blacksmith", "")]
    follow_up = await director.prepare(session.id, "", [TurnInput("player", "Are you there?")], turn.plan.sampling,
                                       {"session_id": "session_id", "character_id": "character_id", "input": "utterance"},
                                       realtime())
    assert {"role": "assistant", "content": SILENCE} in follow_up.prompt.messages


class OneLineJob:
    def __init__(self, stop: str, text: str = "Aye, steel."):
        self.result = GenerationResult(text=text, finish_reason="stop_sequence", prompt_tokens=9,
                                       completion_tokens=4, time_to_first_token_s=0.01, stop_sequence=stop)

    async def events(self):
        yield TextChunk(self.result.text, self.result.completion_tokens)
        yield self.result


class OneLineEngine:
    """A base model whose every reply ends at a stop sequence: the line's end, or the one given."""

    has_chat_template = False

    def __init__(self, stop: str = LINE_END, text: str = "Aye, steel."):
        self.stop = stop
        self.text = text
        self.requests = []

    def submit(self, request, ctx):
        self.requests.append(request)
        return OneLineJob(self.stop, self.text)


def script_plan(stop_sequences: tuple[str, ...] = ()) -> TurnPlan:
    return TurnPlan(turn_id="t1", character=blacksmith(), messages=[{"role": "user", "content": "Hello!"}],
                    sampling=Sampling(max_new_tokens=16, temperature=0.8, top_p=0.95, seed=7,
                                      stop_sequences=stop_sequences),
                    structured=False, script=True)


async def test_a_script_line_that_ends_at_its_line_end_completes_the_turn():
    engine = OneLineEngine()
    events = [event async for event in Turn(script_plan(), engine, realtime(), _no_result).events()]

    outcome = events[-1]
    assert isinstance(outcome, TurnOutcome) and outcome.reason == dialogue_pb2.TURN_END_REASON_COMPLETED
    assert engine.requests[0].stop_sequences == [LINE_END]
    assert [message.text for name, message in events[:-1] if name == "text_delta"] == ["Aye, steel."]


async def test_a_callers_stop_sequence_in_a_script_ends_the_turn_with_stop_sequence():
    engine = OneLineEngine(stop="forge")
    events = [event async for event in Turn(script_plan(("forge",)), engine, realtime(), _no_result).events()]

    assert events[-1].reason == dialogue_pb2.TURN_END_REASON_STOP_SEQUENCE
    assert engine.requests[0].stop_sequences == ["forge", LINE_END]


async def test_control_characters_a_model_writes_never_reach_the_player():
    # A byte-fallback NUL (which PostgreSQL cannot store either) and a terminal escape among the words.
    engine = OneLineEngine(text="Aye,\x00 steel\x1b[31m.\tGood.")
    events = [event async for event in Turn(script_plan(), engine, realtime(), _no_result).events()]

    assert "".join(message.text for name, message in events[:-1] if name == "text_delta") == "Aye, steel[31m.\tGood."


async def _no_result(call):
    return None
