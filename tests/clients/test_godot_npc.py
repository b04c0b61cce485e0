"""The add-on's npc.gd, interpreted over a recording client: its requests and its signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from tests.clients import godot_engine
from tests.clients.gdscript import JSON, GDScriptError, Runtime, Signal
from worldsmith._proto.worldsmith.v1 import dialogue_pb2, speech_pb2

ADDON = Path(__file__).resolve().parents[2] / "clients" / "godot" / "addons" / "worldsmith"
DIALOGUE = dialogue_pb2.DESCRIPTOR.services_by_name["DialogueService"]


def _as_connect_json(message: Message) -> dict:
    """A response as connect_call.gd hands it on: the server's JSON, read by JSON.parse_string."""
    return JSON.parse_string(json_format.MessageToJson(message))


class RecordedCall:
    """What WorldsmithClient.unary() and stream() return, driven by the test instead of a server."""

    def __init__(self, method: str, request: dict, streaming: bool, messages: list[dict]):
        self.method, self.request, self.streaming = method, request, streaming
        self.message_received, self.finished = Signal("message_received"), Signal("finished")
        self.messages, self.error, self.is_done = messages, {}, not streaming

    def finish(self, error: dict) -> None:
        self.is_done, self.error = True, error
        self.finished.emit(error)

    def cancel(self) -> None:
        self.finish({"code": "canceled", "message": "cancelled by the client"})


class RecordingClient:
    """A WorldsmithClient whose CreateSession answers session "s-1" and whose streams stay open."""

    def __init__(self):
        self.calls: list[RecordedCall] = []

    def _record(self, method: str, request: dict, streaming: bool) -> RecordedCall:
        messages = []
        if method.endswith("/CreateSession"):
            messages = [_as_connect_json(dialogue_pb2.CreateSessionResponse(session=dialogue_pb2.Session(id="s-1")))]
        call = RecordedCall(method, request, streaming, messages)
        self.calls.append(call)
        return call

    def unary(self, method: str, request: dict, call_timeout_s: float = -1.0) -> RecordedCall:
        return self._record(method, request, streaming=False)

    def stream(self, method: str, request: dict, call_timeout_s: float = -1.0) -> RecordedCall:
        return self._record(method, request, streaming=True)


def _parsed(call: RecordedCall) -> Message:
    """The request as the server parses it, after checking the RPC exists with this call's shape."""
    service, method_name = call.method.split("/")
    assert service == DIALOGUE.full_name
    method = DIALOGUE.methods_by_name[method_name]
    assert method.server_streaming == call.streaming and not method.client_streaming
    message = dialogue_pb2.DESCRIPTOR.message_types_by_name[method.input_type.name]
    return json_format.ParseDict(call.request, getattr(dialogue_pb2, message.name)())


@pytest.fixture
def npc():
    runtime = Runtime([ADDON / "npc.gd", ADDON / "connect_call.gd", ADDON / "envelope.gd"], godot_engine.GLOBALS)
    node = runtime.scripts["WorldsmithNPC"].new()
    node.fields.update(client=RecordingClient(), character_id="bram", player_id="hero")
    heard = []
    for name in ("text_delta", "emotion", "action", "turn_completed", "failed", "audio", "viseme"):
        node[name].connect(lambda *args, name=name: heard.append((name, *args)))
    return node, node["client"], heard


def test_a_first_line_creates_a_session_then_says_it(npc):
    node, client, heard = npc
    node.call("say", "Hello there")
    create, say = client.calls
    assert _parsed(create) == dialogue_pb2.CreateSessionRequest(player_id="hero", character_ids=["bram"])
    assert _parsed(say) == dialogue_pb2.SayRequest(session_id="s-1", character_id="bram", utterance="Hello there")
    assert node["session_id"] == "s-1" and node.call("is_speaking")
    assert heard == []


def test_server_events_become_signals(npc):
    node, client, heard = npc
    node.call("say", "Hello there")
    say = client.calls[-1]
    events = [
        dialogue_pb2.SayResponse(text_delta=dialogue_pb2.TextDelta(turn_id="t1", text="Well met")),
        dialogue_pb2.SayResponse(emotion=dialogue_pb2.EmotionChanged(turn_id="t1", emotion="happy")),
        dialogue_pb2.SayResponse(action_call=dialogue_pb2.ActionCall(
            turn_id="t1", call_id="c1", name="give_item", arguments_json='{"item": "sword"}')),
        dialogue_pb2.SayResponse(turn_completed=dialogue_pb2.TurnCompleted(
            turn_id="t1", text="Well met", reason=dialogue_pb2.TURN_END_REASON_COMPLETED)),
    ]
    for event in events:
        say.message_received.emit(_as_connect_json(event))
    assert heard == [
        ("text_delta", "Well met"),
        ("emotion", "happy"),
        ("action", "give_item", {"item": "sword"}, "c1"),
        ("turn_completed", "Well met", "TURN_END_REASON_COMPLETED"),
    ]
    assert node["current_emotion"] == "happy"


def test_a_spoken_turn_asks_for_speech_and_its_audio_and_visemes_become_signals(npc):
    node, client, heard = npc
    node.fields["speak"] = True
    node.call("say", "Hello there")
    say = client.calls[-1]
    assert _parsed(say).speech == dialogue_pb2.SpeechOptions(enabled=True)
    pcm = (1000).to_bytes(2, "little", signed=True) + (-1000).to_bytes(2, "little", signed=True)
    for event in (dialogue_pb2.SayResponse(audio=speech_pb2.AudioChunk(turn_id="t1", pcm=pcm, sample_rate=24000, start_ms=0)),
                  dialogue_pb2.SayResponse(viseme=speech_pb2.VisemeEvent(turn_id="t1", name="viseme_aa", start_ms=50,
                                                                         end_ms=125.5, weight=0.75))):
        say.message_received.emit(_as_connect_json(event))
    assert heard == [("audio", pcm, 24000, 0.0), ("viseme", "viseme_aa", 50.0, 125.5, 0.75)]


@pytest.fixture
def voice():
    scripts = [ADDON / name for name in ("npc.gd", "connect_call.gd", "envelope.gd", "npc_voice.gd")]
    runtime = Runtime(scripts, godot_engine.GLOBALS)
    node = runtime.scripts["WorldsmithNPC"].new()
    client = RecordingClient()
    node.fields.update(client=client, character_id="bram")
    player = godot_engine.AudioStreamPlayer()
    face = godot_engine.MeshInstance3D(["viseme_sil", "viseme_PP", "viseme_aa", "eyeBlinkLeft"])
    voice = runtime.scripts["WorldsmithNPCVoice"].new()
    voice.fields.update(npc=node, player=player, face=face)
    voice.call("_ready")
    return voice, node, client, player, face


def test_the_voice_plays_a_turns_audio_and_moves_the_mouth_on_the_audio_clock(voice):
    voice, node, client, player, face = voice
    assert node["speak"] and player.playing and player.stream.mix_rate == 24000.0
    node.call("say", "Hello there")
    say = client.calls[-1]
    samples = [1000 * ((i % 7) - 3) for i in range(1200)]  # 50 ms at 24 kHz
    pcm = b"".join(value.to_bytes(2, "little", signed=True) for value in samples)
    for event in (dialogue_pb2.SayResponse(audio=speech_pb2.AudioChunk(turn_id="t1", pcm=pcm, sample_rate=24000)),
                  dialogue_pb2.SayResponse(viseme=speech_pb2.VisemeEvent(name="viseme_aa", start_ms=0, end_ms=25, weight=0.8)),
                  dialogue_pb2.SayResponse(viseme=speech_pb2.VisemeEvent(name="viseme_PP", start_ms=25, end_ms=50, weight=1))):
        say.message_received.emit(_as_connect_json(event))
    playback = player.get_stream_playback()
    voice.call("_process", 0.016)
    assert playback.buffered == [value / 32768 for value in samples]  # every sample, in order, as floats
    assert face.weights["viseme_aa"] == 0.8 and voice.call("played_ms") == 0.0  # the first shape as the sound starts
    playback.play(720)  # the device played 30 ms
    voice.call("_process", 0.016)
    assert voice.call("played_ms") == 30.0
    assert (face.weights["viseme_aa"], face.weights["viseme_PP"], face.weights["eyeBlinkLeft"]) == (0.0, 1.0, 0.0)


def test_stopping_the_voice_silences_it_and_reports_what_was_heard(voice):
    voice, node, client, player, face = voice
    node.call("say", "Hello there")
    say = client.calls[-1]
    pcm = (1000).to_bytes(2, "little", signed=True) * 2400  # 100 ms
    for event in (dialogue_pb2.SayResponse(turn_started=dialogue_pb2.TurnStarted(turn_id="t7", character_id="bram")),
                  dialogue_pb2.SayResponse(audio=speech_pb2.AudioChunk(turn_id="t7", pcm=pcm, sample_rate=24000)),
                  dialogue_pb2.SayResponse(viseme=speech_pb2.VisemeEvent(name="viseme_aa", start_ms=0, end_ms=100, weight=1))):
        say.message_received.emit(_as_connect_json(event))
    voice.call("_process", 0.016)
    player.get_stream_playback().play(1200)  # 50 ms heard
    voice.call("stop")
    report = client.calls[-1]
    assert say.error["code"] == "canceled"
    assert _parsed(report) == dialogue_pb2.ReportHeardRequest(session_id="s-1", turn_id="t7", audio_played_ms=50)
    assert face.weights["viseme_aa"] == 0.0 and voice.call("played_ms") == 0.0
    assert player.get_stream_playback().buffered == []  # nothing more of it plays


def test_action_outcomes_are_told_after_the_turn(npc):
    node, client, _ = npc
    node.call("say", "Give me a sword")
    node.call("report_action_result", "c1", "give_item", True, '{"given": true}')
    assert len(client.calls) == 2, "nothing is sent while the NPC speaks"
    client.calls[-1].finish({})
    reaction = _parsed(client.calls[-1])
    assert reaction.session_id == "s-1" and reaction.character_id == "bram"
    assert "give_item" in reaction.event.description and "c1" in reaction.event.description
    assert "succeeded" in reaction.event.description


def test_saying_again_interrupts_quietly_and_errors_are_reported(npc):
    node, client, heard = npc
    node.call("say", "Hello")
    first = client.calls[-1]
    node.call("say", "Wait, one more thing")
    assert first.error["code"] == "canceled" and heard == []
    second = client.calls[-1]
    assert _parsed(second).utterance == "Wait, one more thing"
    second.finish({"code": "unavailable", "message": "dialogue.model is not loaded"})
    assert heard == [("failed", {"code": "unavailable", "message": "dialogue.model is not loaded"})]
    assert not node.call("is_speaking")


def test_the_interpreter_refuses_what_it_does_not_know(tmp_path):
    script = tmp_path / "matcher.gd"
    script.write_text('class_name Matcher\n\n\nstatic func kind(value: int) -> String:\n'
                      '\tmatch value:\n\t\t1:\n\t\t\treturn "one"\n\treturn "many"\n')
    matcher = Runtime([script], godot_engine.GLOBALS).scripts["Matcher"]
    with pytest.raises(GDScriptError, match="match_stmt is not supported"):
        matcher.call("kind", 1)
