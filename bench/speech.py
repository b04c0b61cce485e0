"""Spoken NPC turns on the embedded defaults: `worldsmith serve` with no config (Gemma 3 270M on llama.cpp, the
MiniLM lore embedder, hibari's packaged voice), called over gRPC as a game calls it.

    python bench/speech.py                  # --turns 6 --npcs 16

Measures, in one run:
  1. first audio: the time from sending a spoken Say turn to its first audio sample (the first AudioChunk with
     samples), beside the first text delta and the end of the text (target: first audio under 1.0 s);
  2. synthesis speed: seconds of speech per second of synthesis, for the engine called in this process on the
     turns' own sentences, and through SpeechService.Speak;
  3. 16 NPCs speaking at once: 16 sessions, each of which has spoken once already (its prompt is in a llama.cpp
     slot, as in a running game), start a spoken turn together: first text and first audio per turn, and whether
     each chunk arrived before a player who started playing at the first chunk would have reached it (no gap);
  4. viseme/audio agreement over every turn's audio (runtime/visemes.py `agreement`: lips-apart visemes on loud
     voiced 10 ms frames, viseme_sil on silent ones; target at least 85%), and the stricter vowels-only share.
Prints a table and writes bench/results/speech.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from _processes import stop  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2 as d  # noqa: E402
from worldsmith._proto.worldsmith.v1 import dialogue_pb2_grpc, speech_pb2, speech_pb2_grpc  # noqa: E402
from worldsmith.dialogue.card_files import load_file  # noqa: E402
from worldsmith.runtime.visemes import VOWELS, Viseme, agreement  # noqa: E402

KEY = "bench-runtime-key-01"
EDITOR = "bench-editor-key-02"
CHARACTERS = ROOT / "examples" / "game" / "characters" / "bram.toml"
LINES = ["Good morning! What are you working on today?", "Can you mend my sword? The edge is chipped.",
         "Have you heard anything about the missing iron?", "How long have you worked this forge?",
         "What would you sell me for ten gold coins?", "Is the old mine safe to enter at night?"]


def start_server(port: int, data_dir: str) -> subprocess.Popen:
    env = {**os.environ, "WORLDSMITH_API_KEYS": f"runtime:{KEY},editor:{EDITOR}", "PYTHONPATH": str(ROOT / "server")}
    env.pop("WORLDSMITH_CONFIG", None)  # the embedded defaults
    return subprocess.Popen([sys.executable, "-m", "worldsmith.cli", "serve", "--port", str(port), "--data-dir", data_dir],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_serving(channel, timeout: float = 300) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            statuses = [(await health.Check(health_pb2.HealthCheckRequest(service=f"worldsmith.v1.{name}"))).status
                        for name in ("DialogueService", "SpeechService")]
            if all(status == health_pb2.HealthCheckResponse.SERVING for status in statuses):
                return
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(0.5)
    raise TimeoutError("the server did not serve dialogue and speech in time")


async def spoken_turn(stub, session_id: str, line: str, seed: int) -> dict:
    """One spoken Say turn: when its first text, first audio and last text arrived, and each chunk's arrival."""
    request = d.SayRequest(session_id=session_id, utterance=line, options=d.GenerationOptions(seed=seed),
                           speech=d.SpeechOptions(enabled=True))
    started = time.perf_counter()
    turn = {"text": "", "chunks": [], "visemes": [], "first_text_s": None, "first_audio_s": None, "text_done_s": None}
    async for response in stub.Say(request, metadata=(("authorization", f"Bearer {KEY}"),), timeout=300):
        now, kind = time.perf_counter() - started, response.WhichOneof("event")
        if kind == "text_delta":
            turn["text"] += response.text_delta.text
            turn["first_text_s"] = turn["first_text_s"] or now
            turn["text_done_s"] = now
        elif kind == "audio" and response.audio.pcm:
            turn["first_audio_s"] = turn["first_audio_s"] or now
            turn["chunks"].append((now, response.audio.start_ms, response.audio.pcm))
        elif kind == "viseme":
            v = response.viseme
            turn["visemes"].append(Viseme(v.name, v.start_ms, v.end_ms, v.weight))
    return turn


def gapless(turn: dict) -> bool:
    """Whether every chunk arrived before playback, started at the first chunk, reached its start."""
    if not turn["chunks"]:
        return True
    first = turn["chunks"][0][0]
    return all(arrived - first <= start_ms / 1000 for arrived, start_ms, _ in turn["chunks"])


def audio_of(turn: dict) -> np.ndarray:
    return np.frombuffer(b"".join(pcm for _, _, pcm in turn["chunks"]), "<i2").astype(np.float32) / 32767.0


async def new_session(stub, index: int) -> str:
    request = d.CreateSessionRequest(session_id=f"bench-{index}-{time.monotonic_ns()}", character_ids=["bram"])
    return (await stub.CreateSession(request, metadata=(("authorization", f"Bearer {KEY}"),))).session.id


def synthesis_speed(sentences: list[str], rounds: int = 3) -> float:
    """x realtime of the hibari engine in this process on `sentences`, one thread, after a warm-up; the median of
    `rounds` rounds (other work on the machine moves single rounds)."""
    from worldsmith.runtime import speech_hibari

    engine = speech_hibari.load(voices=("heart",))
    engine.warmup()
    speeds = []
    for _ in range(rounds):
        started, audio_ms = time.perf_counter(), 0.0
        for sentence in sentences:
            audio_ms += engine.synthesize(sentence, "heart").duration_ms
        speeds.append(audio_ms / 1000 / (time.perf_counter() - started))
    return statistics.median(speeds)


async def speak_speed(channel, sentences: list[str], rounds: int = 3) -> float:
    """x realtime through SpeechService.Speak (one call per sentence, one after another), median of `rounds`."""
    stub = speech_pb2_grpc.SpeechServiceStub(channel)
    speeds = []
    for _ in range(rounds):
        started, audio_ms = time.perf_counter(), 0.0
        for sentence in sentences:
            async for response in stub.Speak(speech_pb2.SpeakRequest(text=sentence), metadata=(("authorization", f"Bearer {KEY}"),)):
                if response.WhichOneof("event") == "summary":
                    audio_ms += response.summary.duration_ms
        speeds.append(audio_ms / 1000 / (time.perf_counter() - started))
    return statistics.median(speeds)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def main(turns: int, npcs: int) -> dict:
    port = 50600 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(port, data_dir)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await wait_serving(channel)
                stub = dialogue_pb2_grpc.DialogueServiceStub(channel)
                cards, lore = load_file(CHARACTERS)
                editor = (("authorization", f"Bearer {EDITOR}"),)
                for card in cards:
                    card.voice.id = "heart"
                    await stub.UpsertCharacter(d.UpsertCharacterRequest(character=card), metadata=editor)
                await stub.UpsertLore(d.UpsertLoreRequest(entries=lore), metadata=editor)
                await spoken_turn(stub, await new_session(stub, -1), "Hello.", 1)  # warm the prompt cache's prefix

                single = [await spoken_turn(stub, await new_session(stub, i), LINES[i % len(LINES)], 10 + i) for i in range(turns)]
                sessions = [await new_session(stub, 100 + i) for i in range(npcs)]
                # Each NPC has spoken once before, as in a running game: its prompt is in a llama.cpp slot.
                await asyncio.gather(*(spoken_turn(stub, session, "Hello.", 300 + i) for i, session in enumerate(sessions)))
                started = time.perf_counter()
                crowd = await asyncio.gather(*(spoken_turn(stub, session, LINES[i % len(LINES)], 200 + i)
                                               for i, session in enumerate(sessions)))
                crowd_wall = time.perf_counter() - started
                sentences = [sentence for turn in single for sentence in _sentences(turn["text"])] or LINES
                through_speak = await speak_speed(channel, sentences)
        finally:
            stop(server)
    in_process = synthesis_speed(sentences)

    spoken = [turn for turn in single + crowd if turn["chunks"]]
    agreed = judged = agreed_vowels = judged_vowels = 0
    for turn in spoken:
        audio = audio_of(turn)
        share, count = agreement(audio, 24000, turn["visemes"])
        agreed, judged = agreed + share * count, judged + count
        share, count = agreement(audio, 24000, turn["visemes"], open_mouth=VOWELS)
        agreed_vowels, judged_vowels = agreed_vowels + share * count, judged_vowels + count
    crowd_audio_s = sum(audio_of(turn).size for turn in crowd) / 24000
    return {
        "model": "embedded defaults: Gemma 3 270M Q4_K_M (llama.cpp), all-MiniLM-L6-v2, hibari 'heart'",
        "one_npc": {
            "turns": len(single),
            "first_text_s_median": median([t["first_text_s"] for t in single if t["first_text_s"]]),
            "first_audio_s_median": median([t["first_audio_s"] for t in single if t["first_audio_s"]]),
            "first_audio_s_max": max([t["first_audio_s"] for t in single if t["first_audio_s"]], default=float("nan")),
            "text_done_s_median": median([t["text_done_s"] for t in single if t["text_done_s"]]),
            "first_audio_before_text_done": sum(1 for t in single if t["first_audio_s"] and t["first_audio_s"] < t["text_done_s"]),
            "gapless_turns": sum(map(gapless, single)),
        },
        "npcs_at_once": {
            "npcs": npcs,
            "first_text_s_median": median([t["first_text_s"] for t in crowd if t["first_text_s"]]),
            # How long after its first words each NPC's voice began: the speech's own share of the wait.
            "first_text_to_audio_s_median": median([t["first_audio_s"] - t["first_text_s"] for t in crowd
                                                    if t["first_audio_s"] and t["first_text_s"]]),
            "first_audio_s_median": median([t["first_audio_s"] for t in crowd if t["first_audio_s"]]),
            "first_audio_s_max": max([t["first_audio_s"] for t in crowd if t["first_audio_s"]], default=float("nan")),
            "wall_s": crowd_wall,
            "audio_s": crowd_audio_s,
            "gapless_turns": sum(map(gapless, crowd)),
        },
        "synthesis_x_realtime": {"in_process": in_process, "through_speak": through_speak, "sentences": len(sentences)},
        "viseme_agreement": {"lips_apart": agreed / judged if judged else float("nan"),
                             "vowels_only": agreed_vowels / judged_vowels if judged_vowels else float("nan"),
                             "frames_judged": int(judged), "turns": len(spoken)},
    }


def _sentences(text: str) -> list[str]:
    from worldsmith.runtime.speech import complete_sentences

    done, rest = complete_sentences(text)
    return done + ([rest.strip()] if rest.strip() else [])


def table(results: dict) -> str:
    one, crowd = results["one_npc"], results["npcs_at_once"]
    speed, visemes = results["synthesis_x_realtime"], results["viseme_agreement"]
    rows = [
        ("first audio, one NPC (median / max)", f"{one['first_audio_s_median']:.2f} s / {one['first_audio_s_max']:.2f} s"),
        ("first text delta, one NPC (median)", f"{one['first_text_s_median']:.2f} s"),
        ("text complete, one NPC (median)", f"{one['text_done_s_median']:.2f} s"),
        ("first audio before the text was complete", f"{one['first_audio_before_text_done']} of {one['turns']} turns"),
        ("gapless playback, one NPC", f"{one['gapless_turns']} of {one['turns']} turns"),
        (f"first audio, {crowd['npcs']} NPCs at once (median / max)", f"{crowd['first_audio_s_median']:.2f} s / {crowd['first_audio_s_max']:.2f} s"),
        (f"first text delta, {crowd['npcs']} NPCs at once (median)", f"{crowd['first_text_s_median']:.2f} s"),
        (f"first text to first audio, {crowd['npcs']} NPCs (median)", f"{crowd['first_text_to_audio_s_median']:.2f} s"),
        (f"{crowd['npcs']} NPCs: audio made / wall", f"{crowd['audio_s']:.1f} s / {crowd['wall_s']:.1f} s"),
        (f"gapless playback, {crowd['npcs']} NPCs", f"{crowd['gapless_turns']} of {crowd['npcs']} turns"),
        ("synthesis, in process (median of 3)", f"{speed['in_process']:.0f}x realtime"),
        ("synthesis, through SpeechService.Speak (median of 3)", f"{speed['through_speak']:.0f}x realtime"),
        ("viseme agreement (lips apart / vowels only)", f"{visemes['lips_apart']:.1%} / {visemes['vowels_only']:.1%} of {visemes['frames_judged']} frames"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--npcs", type=int, default=16)
    args = parser.parse_args()
    results = asyncio.run(main(args.turns, args.npcs))
    print(table(results))
    out = ROOT / "bench" / "results" / "speech.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
