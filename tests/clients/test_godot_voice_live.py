"""A spoken turn from the Godot add-on, replayed against a live server on tiny models with hibari's voice: the
requests WorldsmithNPC makes go out through the add-on's own Connect client, and the server's answers come back
into WorldsmithNPC and WorldsmithNPCVoice, which play every sample and move the face's viseme blend shapes."""

from __future__ import annotations

import asyncio

import pytest

from tests.clients import godot_engine
from tests.clients.gdscript import Runtime
from tests.clients.test_godot_npc import ADDON, RecordingClient
from worldsmith.runtime.visemes import NAMES

CHARACTER = {"id": "bram", "name": "Bram", "role": "the village blacksmith", "voice": {"id": "heart", "speed": 1.0}}


def _live_client(server, key: str):
    """The add-on's WorldsmithClient (the autoload) pointed at the live server."""
    settings = {"worldsmith/server/url": f"http://127.0.0.1:{server.http.port}"}
    engine = {**godot_engine.GLOBALS, "ProjectSettings": godot_engine.ProjectSettings(settings),
              "OS": godot_engine.OS({"WORLDSMITH_API_KEY": key})}
    runtime = Runtime([ADDON / "worldsmith_client.gd", ADDON / "connect_call.gd", ADDON / "envelope.gd"], engine)
    return runtime.scripts["WorldsmithClient"].new()


async def _send(client, kind: str, method: str, request: dict) -> list[dict]:
    extra = (60.0,) if kind == "stream" else ()  # a turn's deadline; unary calls keep the client's default
    reply = await asyncio.wait_for(asyncio.to_thread(client.call, kind, method, request, *extra), timeout=90)
    assert reply["error"] == {}, reply["error"]
    return reply["messages"]


async def test_a_spoken_turn_from_the_live_server_plays_and_moves_the_mouth(speaking_stack):
    server, key = speaking_stack
    live = _live_client(server, key)
    await _send(live, "unary", "worldsmith.v1.DialogueService/UpsertCharacter", {"character": CHARACTER})

    runtime = Runtime([ADDON / name for name in ("npc.gd", "connect_call.gd", "envelope.gd", "npc_voice.gd")],
                      godot_engine.GLOBALS)
    npc = runtime.scripts["WorldsmithNPC"].new()
    recorder = RecordingClient()
    npc.fields.update(client=recorder, character_id="bram")
    player, face = godot_engine.AudioStreamPlayer(), godot_engine.MeshInstance3D([*NAMES, "eyeBlinkLeft"])
    voice = runtime.scripts["WorldsmithNPCVoice"].new()
    voice.fields.update(npc=npc, player=player, face=face)
    voice.call("_ready")
    npc.call("say", "Can you mend my sword? The edge is chipped.")

    create, say = recorder.calls  # the session the NPC asked for, then its turn: both sent to the live server
    await _send(live, "unary", create.method, {**create.request, "sessionId": "s-1"})
    # The tiny model's random words, kept short so the voice reads them in seconds.
    messages = await _send(live, "stream", say.method, {**say.request, "options": {"seed": "3", "maxNewTokens": 16}})
    kinds = [next(iter(message)) for message in messages]
    assert "audio" in kinds and "viseme" in kinds and kinds[-1] == "turnCompleted", kinds
    for message in messages:
        say.message_received.emit(message)
    say.finish({})

    playback = player.get_stream_playback()
    pcm = b"".join(bytes(godot_engine.Marshalls.base64_to_raw(m["audio"]["pcm"])) for m in messages if "audio" in m)
    samples = [int.from_bytes(pcm[i:i + 2], "little", signed=True) / 32768 for i in range(0, len(pcm), 2)]
    spoken = {m["viseme"]["name"] for m in messages if "viseme" in m}
    assert spoken <= set(NAMES) and len(spoken) > 2 and max(map(abs, samples)) > 0.05
    moved: set[str] = set()
    for _ in range(2 * len(samples) // 600 + 10):  # the device plays 25 ms a tick; the mouth follows its clock
        voice.call("_process", 0.025)
        playback.play(600)
        moved |= {name for name in NAMES if face.weights.get(name, 0.0) > 0}
    assert playback.played == samples  # every sample of the voice, in order, through the generator
    assert len(moved) > 2 and moved <= spoken, moved
