"""Spoken text as the files a game keeps: a 16-bit mono WAV and its viseme track as JSON."""

from __future__ import annotations

import io
import json
import wave
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

from worldsmith._proto.worldsmith.v1 import speech_pb2


@dataclass
class Spoken:
    """What one Speak stream said: its samples in order, its visemes and its summary."""

    pcm: bytearray = field(default_factory=bytearray)
    visemes: list[speech_pb2.VisemeEvent] = field(default_factory=list)
    summary: speech_pb2.SpeechSummary = field(default_factory=speech_pb2.SpeechSummary)


async def collect(events: AsyncIterator[speech_pb2.SpeakResponse],
                  on_event: Callable[[speech_pb2.SpeakResponse], None] | None = None) -> Spoken:
    """Join a Speak stream's audio chunks and gather its visemes; the stream must end with its summary."""
    spoken, ended = Spoken(), False
    async for event in events:
        if on_event is not None:
            on_event(event)
        kind = event.WhichOneof("event")
        if kind == "audio":
            spoken.pcm += event.audio.pcm
        elif kind == "viseme":
            spoken.visemes.append(event.viseme)
        elif kind == "summary":
            spoken.summary, ended = event.summary, True
    if not ended:
        raise RuntimeError("the Speak stream ended without its summary")
    return spoken


def wav_bytes(spoken: Spoken) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(spoken.summary.sample_rate)
        file.writeframes(bytes(spoken.pcm))
    return buffer.getvalue()


def visemes_json(spoken: Spoken) -> bytes:
    """The viseme track engines play on the avatar's shape keys, times in ms from the audio's start."""
    track = {
        "voice": spoken.summary.voice,
        "sample_rate": spoken.summary.sample_rate,
        "duration_ms": spoken.summary.duration_ms,
        "engine": f"{spoken.summary.engine} {spoken.summary.engine_revision}".strip(),
        "visemes": [{"name": v.name, "start_ms": round(v.start_ms, 1), "end_ms": round(v.end_ms, 1),
                     "weight": round(v.weight, 3)} for v in spoken.visemes],
    }
    return (json.dumps(track, indent=2) + "\n").encode()
