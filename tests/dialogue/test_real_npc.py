"""`worldsmith serve` with no config, as `make run` starts it: the embedded Gemma 3 270M on llama.cpp and
the MiniLM lore embedder serve dialogue; a scripted conversation over gRPC reads as an NPC should."""

from __future__ import annotations

import json
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lingua import Language, LanguageDetectorBuilder

from harness import CHANNEL_OPTIONS, KEYS, REPO, ServerProcess
from worldsmith._proto.worldsmith.v1 import admin_pb2, admin_pb2_grpc, dialogue_pb2, dialogue_pb2_grpc
from worldsmith.dialogue.card_files import load_file

BRAM = REPO / "examples" / "game" / "characters" / "bram.toml"
DIALOGUE = "worldsmith.v1.DialogueService"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    server = ServerProcess(["--data-dir", str(tmp_path_factory.mktemp("embedded"))],
                           env={"WORLDSMITH_CONFIG": None}).start(timeout=300)
    with grpc.insecure_channel(f"127.0.0.1:{server.port}", options=CHANNEL_OPTIONS) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if health.Check(health_pb2.HealthCheckRequest(service=DIALOGUE)).status == health_pb2.HealthCheckResponse.SERVING:
                break
            time.sleep(0.5)
        yield channel
    server.kill()


def say(stub, session_id: str, line: str, seed: int) -> dict:
    reply = {"text": "", "emotions": [], "actions": [], "completed": None}
    for response in stub.Say(dialogue_pb2.SayRequest(session_id=session_id, utterance=line,
                                                     options=dialogue_pb2.GenerationOptions(seed=seed)),
                             metadata=(("authorization", f"Bearer {KEYS['runtime']}"),), timeout=120):
        event = response.WhichOneof("event")
        if event == "text_delta":
            reply["text"] += response.text_delta.text
        elif event == "emotion":
            reply["emotions"].append(response.emotion.emotion)
        elif event == "action_call":
            reply["actions"].append((response.action_call.name, json.loads(response.action_call.arguments_json)))
        elif event == "turn_completed":
            reply["completed"] = response.turn_completed
    return reply


def test_the_embedded_defaults_serve_dialogue_on_gemma(embedded):
    info = admin_pb2_grpc.AdminServiceStub(embedded).GetServerInfo(
        admin_pb2.GetServerInfoRequest(), metadata=(("authorization", f"Bearer {KEYS['admin']}"),))
    serving = {service.name: service for service in info.services}
    assert serving[DIALOGUE].status == admin_pb2.SERVING_STATUS_SERVING and serving[DIALOGUE].backend == "llama.cpp"
    gemma = next(model for model in info.models if model.name == "dialogue")
    assert (gemma.engine, gemma.architecture, gemma.quantization, gemma.license) == ("llama.cpp", "gemma3", "Q4_K_M", "gemma")
    assert len(gemma.sha256) == 64 and gemma.memory_bytes > 0
    assert info.resident_memory_bytes > gemma.memory_bytes


def test_a_scripted_conversation_reads_as_an_npc(embedded):
    characters, lore = load_file(BRAM)
    bram = characters[0]
    editor = (("authorization", f"Bearer {KEYS['editor']}"),)
    stub = dialogue_pb2_grpc.DialogueServiceStub(embedded)
    stub.UpsertCharacter(dialogue_pb2.UpsertCharacterRequest(character=bram), metadata=editor)
    stub.UpsertLore(dialogue_pb2.UpsertLoreRequest(entries=lore), metadata=editor)
    session = stub.CreateSession(dialogue_pb2.CreateSessionRequest(character_ids=[bram.id]), metadata=editor).session
    lines = ["Good morning! Have you heard any news about the old mine?", "Can you mend my sword by tonight?",
             "What do you think of the mayor?", "Guten Tag! Was kostet ein Schwert?"]
    replies = [say(stub, session.id, line, seed=7 + i) for i, line in enumerate(lines)]
    for line, reply in zip(lines, replies):
        print(f"Player: {line}\nBram: {reply['text']}  {reply['emotions']} {reply['actions']}")
    actions = {action.name for action in bram.actions}
    for reply in replies:
        assert len(reply["text"].split()) >= 1
        assert not any(name in reply["text"] for name in actions)
        assert set(reply["emotions"]) <= set(bram.emotions) and reply["emotions"]
        assert all(name in actions for name, _ in reply["actions"])
        assert "mood and action" not in reply["text"] and "A scene from a game" not in reply["text"]
        completed = reply["completed"]
        assert 0 < completed.time_to_first_token_ms < 30_000 and completed.text == reply["text"]
    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.GERMAN).build()
    assert detector.detect_language_of(replies[-1]["text"]) == Language.GERMAN
    stored = stub.GetSession(dialogue_pb2.GetSessionRequest(session_id=session.id), metadata=editor).session
    assert [turn.text for turn in stored.turns if turn.speaker == bram.id] == [reply["text"] for reply in replies]
