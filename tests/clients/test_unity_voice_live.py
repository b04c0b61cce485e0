"""A spoken turn for the Unity package, replayed against a live server on tiny models with hibari's voice: the Say
request NpcConversation makes once NpcVoice turns speech on goes out over gRPC with the interceptor's key header,
and the answers play through the package's own PcmQueue and VisemeTrack (compiled with Mono's C# compiler and run
as NpcVoice drives them), which play every sample in order and move the face's viseme blend shapes; stopping the
voice part-way reports what was heard, and the server keeps only those words."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients import csharp_client
from harness import channel_to
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc, speech_pb2
from worldsmith.runtime.visemes import NAMES

HARNESS = Path(__file__).parent / "unity_voice"
TICK_SAMPLES = 600  # what the audio device reads per callback: 25 ms at 24 kHz


@pytest.fixture(scope="module")
def voice_player(tmp_path_factory) -> Path:
    """VoicePlayer.exe: the package's PcmQueue.cs and VisemeTrack.cs with the harness that drives them."""
    assert shutil.which("mcs") and shutil.which("mono"), "Mono's C# compiler is not installed: run `make tools`"
    exe = tmp_path_factory.mktemp("unity-voice") / "VoicePlayer.exe"
    sources = [csharp_client.RUNTIME / "PcmQueue.cs", csharp_client.RUNTIME / "VisemeTrack.cs",
               *sorted(HARNESS.glob("*.cs"))]
    subprocess.run(["mcs", "-warnaserror", f"-out:{exe}", *map(str, sources)], check=True, capture_output=True)
    return exe


def play(exe: Path, events, ticks: int | None = None) -> tuple[list[int], list[dict[str, float]], float]:
    """Feeds a turn's audio and visemes to the player, then lets the device read `ticks` buffers (enough for all
    the audio when None) and stops the voice: (samples played, the face's weights each frame, ms reported heard)."""
    commands = []
    for event in events:
        if event.WhichOneof("event") == "audio":
            commands.append(f"audio {event.audio.sample_rate} {base64.b64encode(event.audio.pcm).decode()}")
        elif event.WhichOneof("event") == "viseme":
            v = event.viseme
            commands.append(f"viseme {v.name} {v.start_ms!r} {v.end_ms!r} {v.weight!r}")
    if ticks is None:
        ticks = sum(len(e.audio.pcm) // 2 for e in events if e.WhichOneof("event") == "audio") // TICK_SAMPLES + 2
    commands += [f"play {TICK_SAMPLES}"] * ticks + ["stop"]
    output = subprocess.run(["mono", str(exe)], input="\n".join(commands) + "\n", capture_output=True, text=True,
                            check=True, timeout=60).stdout.splitlines()
    samples, frames = [], []
    for line in output[:-1]:
        shapes, pcm = line.removeprefix("tick ").split(" | ")
        samples += [int(s) for s in pcm.split()]
        frames.append({name: float(w) for name, w in (pair.split("=") for pair in shapes.split()[1:])})
    heard_ms = float(re.fullmatch(r"stopped (\S+)", output[-1]).group(1))
    return samples, frames, heard_ms


def pcm16(events) -> list[int]:
    pcm = b"".join(e.audio.pcm for e in events if e.WhichOneof("event") == "audio")
    return [int.from_bytes(pcm[i:i + 2], "little", signed=True) for i in range(0, len(pcm), 2)]


async def spoken_turn(stub, metadata, session_id: str, question: str) -> list:
    """The Say request NpcConversation builds for a spoken turn: its speech options as the C# source sets them."""
    speech = d.SpeechOptions(**{re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): value == "true"
                                for name, value in csharp_client.speech_options().items()})
    request = d.SayRequest(session_id=session_id, utterance=question, speech=speech,
                           options=d.GenerationOptions(seed=3, max_new_tokens=24))
    return [event async for event in stub.Say(request, metadata=metadata, timeout=90)]


async def test_a_spoken_turn_plays_every_sample_moves_the_mouth_and_a_stop_keeps_what_was_heard(speaking_stack,
                                                                                               voice_player):
    server, key = speaking_stack
    metadata = csharp_client.call_defaults().metadata(key)
    async with channel_to(server) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
        card = d.Character(id="bram", name="Bram", role="the village blacksmith",
                           voice=speech_pb2.Voice(id="heart", speed=1.0))
        await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=metadata)
        session_id = (await stub.CreateSession(d.CreateSessionRequest(character_ids=["bram"]),
                                               metadata=metadata)).session.id

        events = await spoken_turn(stub, metadata, session_id, "Can you mend my sword? The edge is chipped.")
        samples, frames, _heard = play(voice_player, events)
        sent, spoken = pcm16(events), {e.viseme.name for e in events if e.WhichOneof("event") == "viseme"}
        assert spoken <= set(NAMES) and len(spoken) > 2 and max(map(abs, sent)) > 1000
        assert samples[:len(sent)] == sent and not any(samples[len(sent):])  # every sample, in order, then silence
        moved = {name for frame in frames for name, weight in frame.items() if weight > 0}
        assert len(moved) > 2 and moved <= spoken, moved

        # The player cuts the next reply off after a third of its audio: NpcVoice.Stop reports the ms played.
        events = await spoken_turn(stub, metadata, session_id, "And the hilt? It is loose as well.")
        completed = events[-1].turn_completed
        total = len(pcm16(events))
        _samples, _frames, heard_ms = play(voice_player, events, ticks=total // TICK_SAMPLES // 3)
        assert 0 < heard_ms < total / 24 / 2  # ms of 24 kHz audio: about a third of it
        reported = await stub.ReportHeard(d.ReportHeardRequest(session_id=session_id, turn_id=completed.turn_id,
                                                               audio_played_ms=int(heard_ms)), metadata=metadata)
        stored = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=metadata)).session.turns[-1]
        assert stored == reported.turn and stored.interrupted
        assert len(stored.text.split()) < len(completed.text.split()) and completed.text.startswith(stored.text)
