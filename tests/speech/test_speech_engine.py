"""The hibari engine in the runtime: audio and a gapless viseme track from the voice's own durations, speed, lanes and cancel."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from worldsmith.errors import Cancelled
from worldsmith.runtime import metrics, speech_hibari
from worldsmith.runtime.context import CallContext, Lane
from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.dialogue.spoken import SpokenTurn, Voicing
from worldsmith.dialogue.turns import WORDS_ENDED, TurnEvent, TurnOutcome
from worldsmith.runtime.speech import complete_sentences, opening_phrase
from worldsmith.runtime.visemes import NAMES, SILENCE

LINE = "Steel remembers every blow, so strike it true."


@pytest.fixture(scope="module")
async def engine():
    engine = speech_hibari.load(voices=("heart",))
    await engine.start()
    yield engine
    await engine.stop()


def test_the_track_covers_the_audio_without_gaps_or_overlaps(engine):
    clip = engine.synthesize(LINE, "heart")
    assert clip.sample_rate == 24000 and len(clip.pcm) == 2 * round(clip.duration_ms * 24)
    visemes = clip.visemes
    assert visemes[0].start_ms == 0 and visemes[-1].end_ms == pytest.approx(clip.duration_ms)
    assert all(a.end_ms == pytest.approx(b.start_ms) for a, b in zip(visemes, visemes[1:]))
    assert all(v.name in NAMES and v.end_ms > v.start_ms for v in visemes)
    assert visemes[-1].name == SILENCE  # the sentence ends in silence, and so does the mouth
    # One end per spoken word, in order, inside the audio.
    assert len(clip.word_ends_ms) == len(LINE.split())
    assert list(clip.word_ends_ms) == sorted(clip.word_ends_ms) and clip.word_ends_ms[-1] <= clip.duration_ms


def test_twice_the_speed_says_it_in_about_half_the_time(engine):
    normal, fast = engine.synthesize(LINE, "heart", 1.0), engine.synthesize(LINE, "heart", 2.0)
    assert 0.4 < fast.duration_ms / normal.duration_ms < 0.65


async def test_jobs_go_through_the_lanes_and_count_the_audio_they_make(engine):
    before = metrics.SPEECH_SECONDS.labels("speech")._value.get()
    clip = await engine.speak("Good morning.", "heart", 1.0, CallContext(lane=Lane.REALTIME))
    after = metrics.SPEECH_SECONDS.labels("speech")._value.get()
    assert after - before == pytest.approx(clip.duration_ms / 1000)
    assert np.frombuffer(clip.pcm, "<i2").std() > 300


async def test_a_cancelled_call_synthesises_nothing(engine):
    ctx = CallContext(lane=Lane.REALTIME)
    ctx.cancel()
    before = metrics.SPEECH_SECONDS.labels("speech")._value.get()
    with pytest.raises(Cancelled):
        await engine.speak("You will never hear this.", "heart", 1.0, ctx)
    assert metrics.SPEECH_SECONDS.labels("speech")._value.get() == before


def test_sentences_complete_at_end_punctuation_followed_by_space():
    assert complete_sentences("Aye. I can mend that! Come back at") == (["Aye.", "I can mend that!"], "Come back at")
    assert complete_sentences("It costs 3.5 gold") == ([], "It costs 3.5 gold")
    assert complete_sentences('"Run!" he said. ') == (['"Run!"', "he said."], "")


def test_a_replys_opening_clause_goes_first_once_it_has_a_few_words():
    assert opening_phrase("Aye, the old mine, it has") == ("Aye, the old mine,", "it has")
    assert opening_phrase("Aye, the old") == ("", "Aye, the old")
    assert opening_phrase("It costs 1,250 gold") == ("", "It costs 1,250 gold")


async def test_a_one_sentence_reply_is_heard_before_its_text_is_complete(engine):
    """A long single sentence: its opening clause is spoken while the rest is still being written."""

    async def reply():
        yield TurnEvent("text_delta", dialogue_pb2.TextDelta(text="Well, the old mine, "))
        await asyncio.sleep(1.0)  # the model writing the rest
        yield TurnEvent("text_delta", dialogue_pb2.TextDelta(text="it has been quiet since the flood."))
        yield TurnEvent(WORDS_ENDED, 0)
        yield TurnOutcome(reason=dialogue_pb2.TURN_END_REASON_COMPLETED)

    spoken = SpokenTurn(Voicing(engine, "heart", 1.0), CallContext(), "t1", seed=1)
    order = [item.field if isinstance(item, TurnEvent) else "outcome" async for item in spoken.events(reply())]
    texts = [i for i, field in enumerate(order) if field == "text_delta"]
    assert order.index("audio") < texts[-1], order
    assert [s.text for s in spoken.track.sentences] == ["Well, the old mine,", "it has been quiet since the flood."]
    assert spoken.track.heard(spoken.track.duration_ms) == {0: "Well, the old mine, it has been quiet since the flood."}
