"""SpeechService over gRPC with the packaged hibari voice: audio that decodes and speaks, visemes an avatar can play, bad input."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from harness import auth, bad_request_fields, channel_to, running, settings_for
from speech.spoken import SPEECH_MODEL, avatar_shape_keys, decoded, is_speech
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, speech_pb2, speech_pb2_grpc
from worldsmith.runtime.visemes import agreement, Viseme

SPEECH = "worldsmith.v1.SpeechService"
LINES = "Mind the bridge, traveller. It is older than the king, and twice as stubborn!"


@pytest.fixture(scope="module")
async def speech_server(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("speech"), models=SPEECH_MODEL, speech={"model": "speech"})
    async with running(settings) as server:
        yield server


@pytest.fixture
async def channel(speech_server):
    async with channel_to(speech_server) as channel:
        yield channel


async def speak(channel, text: str, voice: speech_pb2.Voice | None = None, seed: int = 0) -> list[speech_pb2.SpeakResponse]:
    stub = speech_pb2_grpc.SpeechServiceStub(channel)
    request = speech_pb2.SpeakRequest(text=text, voice=voice or speech_pb2.Voice(), seed=seed)
    return [event async for event in stub.Speak(request, metadata=auth("runtime"))]


def of_kind(events, kind: str) -> list:
    return [getattr(event, kind) for event in events if event.WhichOneof("event") == kind]


async def test_speak_streams_a_sentence_per_chunk_of_audio_that_decodes_and_is_speech(channel):
    events = await speak(channel, LINES)
    chunks, summary = of_kind(events, "audio"), of_kind(events, "summary")
    assert [event.WhichOneof("event") for event in events][-1] == "summary" and len(summary) == 1
    assert len(chunks) == 2 and all(chunk.sample_rate == 24000 for chunk in chunks)
    # Each chunk starts where the one before it ended, so a player can queue them back to back.
    assert chunks[0].start_ms == 0 and chunks[1].start_ms == pytest.approx(len(chunks[0].pcm) / 2 / 24)
    audio = decoded(b"".join(chunk.pcm for chunk in chunks), 24000)
    assert is_speech(audio) and summary[0].duration_ms == pytest.approx(audio.size / 24)
    assert 2000 < summary[0].duration_ms < 8000  # about 13 words at a speaking pace
    assert (summary[0].voice, summary[0].engine) == ("heart", "hibari")


async def test_the_visemes_are_the_avatars_shape_keys_cover_the_audio_and_agree_with_its_energy(channel):
    events = await speak(channel, LINES)
    visemes = of_kind(events, "viseme")
    audio = decoded(b"".join(chunk.pcm for chunk in of_kind(events, "audio")), 24000)
    assert {viseme.name for viseme in visemes} <= await avatar_shape_keys(channel)
    assert {"viseme_sil", "viseme_aa", "viseme_PP"} <= {viseme.name for viseme in visemes}  # "bridge", "stubborn", pauses
    starts = [viseme.start_ms for viseme in visemes]
    assert starts == sorted(starts) and all(0 <= v.weight <= 1 and v.end_ms >= v.start_ms for v in visemes)
    assert visemes[-1].end_ms == pytest.approx(audio.size / 24, abs=1)
    share, judged = agreement(audio, 24000, [Viseme(v.name, v.start_ms, v.end_ms, v.weight) for v in visemes])
    assert judged > 200 and share >= 0.85


async def test_the_same_seed_gives_the_same_samples(channel):
    first, again = await speak(channel, "Well met.", seed=5), await speak(channel, "Well met.", seed=5)
    assert of_kind(first, "audio") == of_kind(again, "audio")


@pytest.mark.parametrize("text", ["", "...", "?!"])
async def test_nothing_speakable_is_an_empty_track_and_a_closed_mouth(channel, text):
    events = await speak(channel, text)
    (chunk,), visemes = of_kind(events, "audio"), of_kind(events, "viseme")
    assert chunk.pcm == b"" and [v.name for v in visemes] == ["viseme_sil"]
    assert of_kind(events, "summary")[0].duration_ms == 0


@pytest.mark.parametrize("voice, field", [(speech_pb2.Voice(id="gandalf"), "voice.id"),
                                          (speech_pb2.Voice(speed=7.5), "voice.speed"),
                                          (speech_pb2.Voice(speed=-1), "voice.speed"),
                                          (speech_pb2.Voice(speed=0.1), "voice.speed")])
async def test_an_unknown_voice_or_an_absurd_speed_is_invalid_argument_naming_the_field(channel, voice, field):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await speak(channel, "Hello.", voice)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad_request_fields(raised.value) == [field]


async def test_list_voices_names_the_loaded_voice(channel):
    voices = await speech_pb2_grpc.SpeechServiceStub(channel).ListVoices(speech_pb2.ListVoicesRequest(), metadata=auth("runtime"))
    assert list(voices.voices) == ["heart"] and voices.sample_rate == 24000


async def test_a_configured_voice_not_on_disk_is_not_serving_with_where_it_belongs_and_nothing_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "voices"))
    settings = settings_for(tmp_path / "data", models=SPEECH_MODEL, speech={"model": "speech", "voices": ["heart", "emma"]})
    async with running(settings) as server, channel_to(server) as channel:
        health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SPEECH))
        info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth("admin"))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await speak(channel, "Hello.")
    reason = {service.name: service.reason for service in info.services}[SPEECH]
    assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert "voice 'emma' is not on disk" in reason and str(tmp_path / "voices" / "bf_emma.int8.onnx") in reason
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE and "emma" in raised.value.details()
    assert not (tmp_path / "voices").exists()


async def test_without_a_speech_model_the_service_says_which_key_to_set(server):
    async with channel_to(server) as channel:
        info = await admin_pb2_grpc.AdminServiceStub(channel).GetServerInfo(admin_pb2.GetServerInfoRequest(), metadata=auth("admin"))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await speak(channel, "Hello.")
    service = {service.name: service for service in info.services}[SPEECH]
    assert service.status == admin_pb2.SERVING_STATUS_NOT_SERVING and "[speech] model" in service.reason
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE and "speech.model" in raised.value.details()
