"""Two fronts on one PostgreSQL and one shared data folder: one conversation across both, concurrent turns on one
session kept whole and in order, a front killed while the other goes on serving, and one asset cache."""

from __future__ import annotations

import asyncio
import signal

import grpc

from harness import CHANNEL_OPTIONS, ServerProcess, auth, channel_to, running
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc, texture_pb2, texture_pb2_grpc

from .fronts import front_settings

SMITH = d.Character(id="smith", name="Bram", role="the village blacksmith", speaking_style="Short sentences.")
ADMIN = auth("admin")


async def say(stub, session_id: str, utterance: str, seed: int = 1) -> str:
    """One turn; the reply the client saw complete."""
    completed = None
    async for response in stub.Say(d.SayRequest(session_id=session_id, utterance=utterance,
                                                  options=d.GenerationOptions(seed=seed)), metadata=ADMIN):
        if response.WhichOneof("event") == "turn_completed":
            completed = response.turn_completed
    assert completed is not None and not completed.interrupted
    return completed.text


async def history(stub, session_id: str) -> list[tuple[str, str]]:
    session = (await stub.GetSession(d.GetSessionRequest(session_id=session_id), metadata=ADMIN)).session
    return [(turn.speaker, turn.text) for turn in session.turns]


async def open_session(stub) -> str:
    await stub.UpsertCharacter(d.UpsertCharacterRequest(character=SMITH), metadata=ADMIN)
    return (await stub.CreateSession(d.CreateSessionRequest(character_ids=["smith"]), metadata=ADMIN)).session.id


async def test_a_client_alternating_between_fronts_keeps_one_conversation(two_fronts):
    async with channel_to(two_fronts[0]) as one, channel_to(two_fronts[1]) as two:
        stubs = [dialogue_pb2_grpc.DialogueServiceStub(one), dialogue_pb2_grpc.DialogueServiceStub(two)]
        # The card is written through the first front; the session is opened on the second.
        await stubs[0].UpsertCharacter(d.UpsertCharacterRequest(character=SMITH), metadata=ADMIN)
        session_id = (await stubs[1].CreateSession(d.CreateSessionRequest(character_ids=["smith"]),
                                                   metadata=ADMIN)).session.id
        expected: list[tuple[str, str]] = []
        for i in range(4):
            reply = await say(stubs[i % 2], session_id, f"Question {i}: what of the sword?", seed=i + 1)
            expected += [("player", f"Question {i}: what of the sword?"), ("smith", reply)]
            # The other front sees the whole conversation so far, in order.
            assert await history(stubs[(i + 1) % 2], session_id) == expected


async def test_turns_sent_to_one_session_through_both_fronts_at_once_are_all_kept_in_order(two_fronts):
    async with channel_to(two_fronts[0]) as one, channel_to(two_fronts[1]) as two:
        stubs = [dialogue_pb2_grpc.DialogueServiceStub(one), dialogue_pb2_grpc.DialogueServiceStub(two)]
        session_id = await open_session(stubs[0])
        players = {f"front{f}-player{p}": stubs[f] for f in range(2) for p in range(2)}
        replies: dict[str, list[str]] = {name: [] for name in players}

        async def talk(name: str, stub) -> None:
            for i in range(3):
                replies[name].append(await say(stub, session_id, f"{name} line {i}", seed=i + 1))

        await asyncio.gather(*(talk(name, stub) for name, stub in players.items()))

        for stub in stubs:
            stored = await history(stub, session_id)
            assert len(stored) == 2 * 3 * len(players)
            # Each player line is followed by the reply to it, nothing between: every turn was written whole.
            pairs = list(zip(stored[0::2], stored[1::2]))
            assert all(line[0] == "player" and reply[0] == "smith" for line, reply in pairs)
            for name in players:
                mine = [(line[1], reply[1]) for line, reply in pairs if line[1].startswith(f"{name} ")]
                assert mine == [(f"{name} line {i}", replies[name][i]) for i in range(3)], name


async def test_killing_one_front_leaves_the_other_serving_the_session(postgres, tiny_text_model, tmp_path):
    url = postgres.new_database()
    config = tmp_path / "front.toml"
    config.write_text(f'[models.dialogue]\nkind = "text-generator"\nsource = "{tiny_text_model}"\n\n'
                      f'[dialogue]\nmodel = "dialogue"\nmax_new_tokens = 16\n')
    doomed = ServerProcess(["--data-dir", str(tmp_path / "doomed")],
                           env={"WORLDSMITH_CONFIG": str(config), "WORLDSMITH_STORE__URL": url}).start(timeout=300)
    try:
        async with running(front_settings(tmp_path / "survivor", url, tiny_text_model)) as survivor:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{doomed.port}", options=CHANNEL_OPTIONS) as doomed_channel, \
                    channel_to(survivor) as survivor_channel:
                first = dialogue_pb2_grpc.DialogueServiceStub(doomed_channel)
                second = dialogue_pb2_grpc.DialogueServiceStub(survivor_channel)
                session_id = await open_session(first)
                expected = []
                for i in range(2):
                    reply = await say(first, session_id, f"Before {i}", seed=i + 1)
                    expected += [("player", f"Before {i}"), ("smith", reply)]
                # Killed while it streams a turn that never completes for the client.
                call = first.Say(d.SayRequest(session_id=session_id, utterance="Tell me everything.",
                                              options=d.GenerationOptions(seed=9, max_new_tokens=400)), metadata=ADMIN)
                async for response in call:
                    if response.WhichOneof("event") == "text_delta":
                        break
                doomed.signal(signal.SIGKILL)
                doomed.wait(timeout=30)
                call.cancel()

                # Every turn the client saw complete is there; at most the killed one was recorded after them.
                assert (await history(second, session_id))[:len(expected)] == expected
                reply = await say(second, session_id, "Are you still there?", seed=5)
                stored = await history(second, session_id)
                assert stored[-2:] == [("player", "Are you still there?"), ("smith", reply)]
                assert stored[:len(expected)] == expected
    finally:
        doomed.kill()


async def test_an_asset_made_by_one_front_is_a_cache_hit_on_the_other(two_fronts):
    request = texture_pb2.GenerateTextureRequest(prompt="mossy cobblestone", width=64, height=64, seed=11,
                                                 maps=[texture_pb2.TEXTURE_MAP_ALBEDO])
    results = []
    for front in two_fronts:
        async with channel_to(front) as channel:
            stub = texture_pb2_grpc.TextureServiceStub(channel)
            events = [event async for event in stub.GenerateTexture(request, metadata=ADMIN)]
            results.append(events[-1].result)
    assert not results[0].cached and results[1].cached
    assert results[1].variations[0].images == results[0].variations[0].images
