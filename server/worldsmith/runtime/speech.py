"""Speech engines: text in, PCM16 mono audio and a timed viseme track out, through the engine's lanes.

    engine = speech_hibari.load("package:hibari", voices=("heart",))
    await engine.start()
    clip = await engine.speak("Hello there.", "heart", 1.0, ctx)   # one sentence's audio and visemes
    clip.pcm, clip.sample_rate, clip.visemes, clip.word_ends_ms

An engine writes `voices`, `sample_rate` and `synthesize(text, voice, speed, seed)`; the loop, lanes,
cancel and metrics are `Engine`'s. Another engine (Kokoro, Piper) subclasses `SpeechEngine` the same way
and maps its own phonemes to the visemes of `runtime/visemes.py`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from worldsmith._proto.worldsmith.v1 import speech_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import Engine, Job
from worldsmith.runtime.visemes import SILENCE, Viseme

MIN_SPEED = 0.5
MAX_SPEED = 2.0
# A sentence ends at . ! ? or … (closing quotes and brackets after it) followed by white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)\]]*\s+")
# A reply's opening is spoken at its first clause break once it has this many words, so the first audio does not
# wait for the whole of a long first sentence.
OPENING_PHRASE_WORDS = 3
_CLAUSE_END = re.compile(r"[,;:—–]+\s+")


@dataclass(frozen=True)
class SpeechClip:
    """One stretch of speech: PCM16 little-endian mono, its visemes and where each spoken word ends."""

    pcm: bytes
    sample_rate: int
    visemes: tuple[Viseme, ...]
    # The end of each spoken word, in ms from the clip's start (for how much of a text was heard).
    word_ends_ms: tuple[float, ...]

    @property
    def duration_ms(self) -> float:
        return len(self.pcm) / 2 * 1000.0 / self.sample_rate

    @classmethod
    def silent(cls, sample_rate: int) -> "SpeechClip":
        """What nothing speakable sounds like: no samples, one `viseme_sil`."""
        return cls(b"", sample_rate, (Viseme(SILENCE, 0.0, 0.0, 1.0),), ())


@dataclass(frozen=True)
class SpeechRequest:
    text: str
    voice: str
    speed: float = 1.0
    seed: int = 0


def complete_sentences(text: str) -> tuple[list[str], str]:
    """The sentences `text` completes and the unfinished rest, for speaking a reply while it is written."""
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        sentence = text[start:end.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = end.end()
    return sentences, text[start:]


def opening_phrase(text: str) -> tuple[str, str]:
    """The first complete clause of `text` with OPENING_PHRASE_WORDS words or more, and the rest; ("", text) when
    there is none yet ("Aye, the old mine, it..." -> "Aye, the old mine,")."""
    for end in _CLAUSE_END.finditer(text):
        phrase = text[:end.end()].strip()
        if len(phrase.split()) >= OPENING_PHRASE_WORDS:
            return phrase, text[end.end():]
    return "", text


def to_messages(clip: "SpeechClip", offset_ms: float, turn_id: str = "") -> list:
    """A clip as the stream carries it: one AudioChunk starting at `offset_ms`, then its VisemeEvents."""
    messages: list = [speech_pb2.AudioChunk(turn_id=turn_id, pcm=clip.pcm, sample_rate=clip.sample_rate, start_ms=offset_ms)]
    messages += [speech_pb2.VisemeEvent(turn_id=turn_id, name=viseme.name, start_ms=viseme.start_ms + offset_ms,
                                        end_ms=viseme.end_ms + offset_ms, weight=viseme.weight) for viseme in clip.visemes]
    return messages


def to_pcm16(audio: np.ndarray) -> bytes:
    """float samples in [-1, 1] -> PCM16 little-endian bytes."""
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def chosen_voice(engine: "SpeechEngine", voice: speech_pb2.Voice, field: str = "voice") -> tuple[str, float]:
    """The voice id and speed a `Voice` asks for (empty id: the default voice; speed 0: 1.0), checked."""
    voice_id, speed = voice.id or engine.default_voice, voice.speed or 1.0
    check_voice(engine, voice_id, speed, field)
    return voice_id, speed


def check_voice(engine: "SpeechEngine", voice: str, speed: float, field: str = "voice") -> None:
    """Refuse a voice the engine does not serve, or a speed outside [MIN_SPEED, MAX_SPEED], naming the field."""
    if voice not in engine.voices:
        raise InvalidArgument(f"{field}.id", f"unknown voice {voice!r}; this server speaks with: {', '.join(engine.voices)}")
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InvalidArgument(f"{field}.speed", f"must be between {MIN_SPEED} and {MAX_SPEED} (1.0 is the voice's own "
                                                f"pace; 0 means 1.0), got {speed}")


class SpeechCalls:
    """Speaking through any engine whose job is a SpeechRequest and ends with a SpeechClip: the local engine, or a
    Ray replica's stand-in. Needs `voices` (the first is the default) and `submit`."""

    voices: tuple[str, ...] = ()

    @property
    def default_voice(self) -> str:
        return self.voices[0]

    async def speak(self, text: str, voice: str, speed: float, ctx: CallContext, seed: int = 0) -> SpeechClip:
        """`synthesize` through the engine's lanes; cancelled with the call."""
        clip = None
        async for event in self.submit(SpeechRequest(text, voice, speed, seed), ctx).events():
            if isinstance(event, SpeechClip):
                clip = event
        return clip

    def speak_events(self, text: str, voice: str, speed: float, ctx: CallContext, seed: int = 0):
        """The job's events as they come: Queued updates, then the SpeechClip."""
        return self.submit(SpeechRequest(text, voice, speed, seed), ctx).events()


class SpeechEngine(SpeechCalls, Engine):
    """A resident speech model. Subclasses set `voices` (the first is the default), `sample_rate`,
    `model_id`, `revision`, and write `synthesize`; a job is one request, usually one sentence."""

    name = "speech"
    sample_rate = 24000
    model_id = ""
    revision = ""

    def synthesize(self, text: str, voice: str, speed: float = 1.0, seed: int = 0) -> SpeechClip:
        raise NotImplementedError(f"{type(self).__name__} must implement synthesize(text, voice, speed, seed)")

    def run_batch(self, jobs: list[Job]) -> None:
        for job in jobs:
            job.ctx.check()
            request: SpeechRequest = job.payload
            started = time.monotonic()
            clip = self.synthesize(request.text, request.voice, request.speed, request.seed)
            elapsed = time.monotonic() - started
            metrics.SPEECH_SECONDS.labels(self.name).inc(clip.duration_ms / 1000)
            if clip.duration_ms and elapsed > 0:
                metrics.SPEECH_REALTIME_FACTOR.labels(self.name).observe(clip.duration_ms / 1000 / elapsed)
            job.finish(clip)
