"""Sessions that last: save blobs that replay exactly, and turns that survive a restart or a kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .dialogue_helpers import blacksmith, collect, new_session, realtime
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith.dialogue.prompt import PLAYER, TurnInput
from worldsmith.dialogue.saves import MAGIC
from worldsmith.dialogue.service import DialogueService
from worldsmith.errors import InvalidArgument, NotFound
from worldsmith.store import Store

REPO = Path(__file__).resolve().parents[2]


async def say(service, session_id: str, text: str, seed: int, max_new_tokens: int = 16) -> d.TurnCompleted:
    responses = await collect(service.Say(d.SayRequest(
        session_id=session_id, utterance=text, options=d.GenerationOptions(seed=seed, max_new_tokens=max_new_tokens)),
        realtime()))
    return responses[-1].turn_completed


async def test_export_then_import_gives_the_same_next_reply(service):
    session = await new_session(service, blacksmith(), quest="started")
    await say(service, session.id, "Good day, smith.", seed=1)
    await say(service, session.id, "How much for a dagger?", seed=2)
    exported = await service.ExportSession(d.ExportSessionRequest(session_id=session.id), realtime())
    assert exported.format_version == 1 and exported.blob.startswith(MAGIC)

    imported = await service.ImportSession(d.ImportSessionRequest(blob=exported.blob, session_id="loaded-save"),
                                           realtime())
    original = (await service.GetSession(d.GetSessionRequest(session_id=session.id), realtime())).session
    assert imported.session.id == "loaded-save"
    assert [(t.speaker, t.text) for t in imported.session.turns] == [(t.speaker, t.text) for t in original.turns]
    assert dict(imported.session.world_state) == {"quest": "started"}

    # The prompt is rebuilt from the blob exactly (no KV cache is stored)...
    sampling = service.director.sampling(d.GenerationOptions(seed=42), "options")
    fields = {"session_id": "session_id", "character_id": "character_id", "input": "utterance"}
    prompts = [(await service.director.prepare(sid, "", [TurnInput(PLAYER, "And a shield?")], sampling, fields,
                                               realtime())).plan.messages for sid in (session.id, "loaded-save")]
    assert prompts[0] == prompts[1]
    # ...so the same seed gives the same reply.
    next_original = await say(service, session.id, "And a shield?", seed=42)
    next_imported = await say(service, "loaded-save", "And a shield?", seed=42)
    assert next_imported.text == next_original.text
    assert next_imported.prompt_tokens == next_original.prompt_tokens


async def test_import_refuses_foreign_or_damaged_blobs(service):
    session = await new_session(service, blacksmith())
    blob = (await service.ExportSession(d.ExportSessionRequest(session_id=session.id), realtime())).blob
    for bad in (b"", b"PK\x03\x04 a zip file", blob[:4] + b"\x09" + blob[5:], blob[:-6]):
        with pytest.raises(InvalidArgument) as raised:
            await service.ImportSession(d.ImportSessionRequest(blob=bad), realtime())
        assert raised.value.violations[0][0] == "blob"
    await service.DeleteCharacter(d.DeleteCharacterRequest(character_id="blacksmith"), realtime())
    with pytest.raises(NotFound, match=r"blob.character_ids\[0\]"):
        await service.ImportSession(d.ImportSessionRequest(blob=blob, session_id="other"), realtime())


async def test_a_session_survives_a_server_restart(tmp_path, settings, generator):
    first_store = Store.open(tmp_path / "data")
    first = DialogueService(settings, first_store, lambda: generator)
    session = await new_session(first, blacksmith())
    reply = await say(first, session.id, "Remember me, smith.", seed=3)
    first_store.close()

    second_store = Store.open(tmp_path / "data")
    try:
        second = DialogueService(settings, second_store, lambda: generator)
        stored = (await second.GetSession(d.GetSessionRequest(session_id=session.id), realtime())).session
        assert [(t.speaker, t.text) for t in stored.turns] == [("player", "Remember me, smith."), ("blacksmith", reply.text)]
        await say(second, session.id, "Do you remember me?", seed=4)
        stored = (await second.GetSession(d.GetSessionRequest(session_id=session.id), realtime())).session
        assert len(stored.turns) == 4
    finally:
        second_store.close()


KILLED_SERVER = textwrap.dedent("""
    import asyncio, sys
    from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
    from worldsmith.config import DialogueConfig
    from worldsmith.dialogue.service import DialogueService
    from worldsmith.runtime.context import CallContext, Lane
    from worldsmith.runtime.text_generator import load
    from worldsmith.store import Store

    async def main(model_dir, data_dir):
        generator = load(model_dir, max_batch_size=2)
        await generator.start()
        service = DialogueService(DialogueConfig(), Store.open(data_dir), lambda: generator)
        ctx = CallContext(lane=Lane.REALTIME)
        await service.UpsertCharacter(d.UpsertCharacterRequest(character=d.Character(id="smith", name="Bram")), ctx)
        await service.CreateSession(d.CreateSessionRequest(session_id="s", character_ids=["smith"]), ctx)
        async for _ in service.Say(d.SayRequest(session_id="s", utterance="first",
                                                options=d.GenerationOptions(seed=1, max_new_tokens=8)), ctx):
            pass
        async for response in service.Say(d.SayRequest(session_id="s", utterance="second",
                                                       options=d.GenerationOptions(seed=2, max_new_tokens=1000)), ctx):
            if response.WhichOneof("event") == "text_delta":
                print("MID-TURN", flush=True)
                await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


def test_a_server_killed_mid_turn_loses_only_that_turn(tmp_path, tiny_model_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    server = subprocess.Popen([sys.executable, "-c", KILLED_SERVER, str(tiny_model_dir), str(tmp_path / "data")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert server.stdout.readline().strip() == "MID-TURN"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    database = tmp_path / "data" / "worldsmith.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store.open(tmp_path / "data")
    try:
        session = store.sessions.get("s")
        assert [t.speaker for t in session.turns] == ["player", "smith"]
        assert session.turns[0].text == "first"
    finally:
        store.close()
