"""Spoken turns: each sentence of a reply read aloud as soon as its text is complete, its audio and visemes streamed
beside the text, and the words a player heard recovered from how much of the audio was played."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import AsyncGenerator, AsyncIterator

from worldsmith._proto.worldsmith.v1 import dialogue_pb2, speech_pb2
from worldsmith.dialogue.turns import WORDS_ENDED, TurnEvent, TurnOutcome
from worldsmith.errors import Cancelled, FailedPrecondition
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.registry import ModelProvider
from worldsmith.runtime.speech import (SpeechClip, SpeechEngine, chosen_voice, complete_sentences, opening_phrase,
                                      to_messages)

_END = object()


@dataclass(frozen=True)
class Voicing:
    """The engine and voice a turn is spoken with."""

    engine: SpeechEngine
    voice: str
    speed: float


def voicing_for(provider: ModelProvider[SpeechEngine] | None, character: dialogue_pb2.Character) -> Voicing:
    """The character's voice on the resident engine; FAILED_PRECONDITION when the server has no speech model."""
    if provider is None:
        raise FailedPrecondition("speech was asked of this turn, but this server has no speech model: set [speech] model "
                                 "in the config (the embedded defaults speak with package:hibari), or leave speech off")
    engine = provider()
    voice, speed = chosen_voice(engine, character.voice, "character.voice")
    return Voicing(engine, voice, speed)


@dataclass(frozen=True)
class SpokenSentence:
    """One sentence as it was spoken: where its audio lies in the turn's, and where each of its words ends."""

    utterance_index: int
    text: str
    start_ms: float
    end_ms: float
    word_ends_ms: tuple[float, ...]

    def heard(self, played_ms: float) -> str:
        """The words whose sound had ended by `played_ms`."""
        if played_ms >= self.end_ms:
            return self.text
        words = self.text.split()
        said = sum(1 for end in self.word_ends_ms if end <= played_ms)
        if self.word_ends_ms and len(self.word_ends_ms) != len(words):
            # Numbers and symbols are read as several words ("1,250"): count the same share of the written ones.
            said = int(said * len(words) / len(self.word_ends_ms))
        return " ".join(words[:said])


@dataclass
class SpokenTrack:
    """The sentences of a turn that were spoken, in order."""

    sentences: list[SpokenSentence] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return self.sentences[-1].end_ms if self.sentences else 0.0

    def heard(self, played_ms: float) -> dict[int, str]:
        """What the player heard of each utterance after `played_ms` of the turn's audio."""
        heard: dict[int, str] = {}
        for sentence in self.sentences:
            words = sentence.heard(played_ms) if sentence.start_ms < played_ms else ""
            if words:
                heard[sentence.utterance_index] = f"{heard.get(sentence.utterance_index, '')} {words}".strip()
        return heard


class SpokenTurn:
    """Speaks a turn's words as they come. Text deltas pass through at once; the reply's opening clause (once it
    has a few words) and then every sentence they complete are read aloud in order, its AudioChunk (placed at its start in the turn's audio) and VisemeEvents following as soon as
    it is ready; the rest of an utterance is read when the utterance ends. The outcome comes after the last audio,
    and a turn that said nothing speakable gets an empty AudioChunk and one `viseme_sil`. A stopped turn reads no
    further sentence."""

    def __init__(self, voicing: Voicing, ctx: CallContext, turn_id: str, seed: int):
        self.voicing = voicing
        self.ctx = ctx
        self.turn_id = turn_id
        self.seed = seed
        self.track = SpokenTrack()

    async def events(self, items: AsyncGenerator) -> AsyncIterator[TurnEvent | TurnOutcome]:
        out: asyncio.Queue = asyncio.Queue()
        sentences: asyncio.Queue = asyncio.Queue()
        tasks = [asyncio.create_task(self._read(items, out, sentences)), asyncio.create_task(self._speak(sentences, out))]
        try:
            while (item := await out.get()) is not _END:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
            await items.aclose()  # the turn's own generator: its generation is cancelled with it

    async def _read(self, items: AsyncIterator, out: asyncio.Queue, sentences: asyncio.Queue) -> None:
        """Pass the turn's events on; hand each completed sentence to the speaker, the outcome last."""
        pending, utterance, opened = "", 0, False
        try:
            async for item in items:
                ends_words = isinstance(item, TurnOutcome) or item.field == WORDS_ENDED
                if ends_words and pending.strip():
                    sentences.put_nowait((utterance, pending.strip()))  # the utterance's last sentence, read at once
                    pending = ""
                if isinstance(item, TurnOutcome):
                    sentences.put_nowait(item)
                    return
                if item.field == "text_delta":
                    utterance = item.message.utterance_index
                    done, pending = complete_sentences(pending + item.message.text)
                    if not done and not opened:  # the reply's first words go as soon as a clause of them is complete
                        phrase, pending = opening_phrase(pending)
                        done = [phrase] if phrase else []
                    opened = opened or bool(done)
                    for sentence in done:
                        sentences.put_nowait((utterance, sentence))
                out.put_nowait(item)
        except Exception as error:  # raised where the events are read
            out.put_nowait(error)

    async def _speak(self, sentences: asyncio.Queue, out: asyncio.Queue) -> None:
        voicing, offset_ms, count = self.voicing, 0.0, 0
        try:
            while not isinstance(job := await sentences.get(), TurnOutcome):
                if self.ctx.is_cancelled:
                    continue
                utterance, text = job
                try:
                    clip = await voicing.engine.speak(text, voicing.voice, voicing.speed, self.ctx,
                                                      seed=(self.seed + count) % 2**63)
                except Cancelled:
                    continue
                count += 1
                if not clip.pcm:
                    continue
                self.track.sentences.append(SpokenSentence(utterance, text, offset_ms, offset_ms + clip.duration_ms,
                                                           tuple(offset_ms + end for end in clip.word_ends_ms)))
                self._emit(clip, offset_ms, out)
                offset_ms += clip.duration_ms
            if not self.track.sentences and not self.ctx.is_cancelled:
                self._emit(SpeechClip.silent(voicing.engine.sample_rate), 0.0, out)
            out.put_nowait(job)
            out.put_nowait(_END)
        except Exception as error:  # raised where the events are read
            out.put_nowait(error)

    def _emit(self, clip: SpeechClip, offset_ms: float, out: asyncio.Queue) -> None:
        for message in to_messages(clip, offset_ms, self.turn_id):
            out.put_nowait(TurnEvent("audio" if isinstance(message, speech_pb2.AudioChunk) else "viseme", message))
