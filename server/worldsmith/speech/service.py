"""SpeechService: Speak streams a text's audio and visemes sentence by sentence; ListVoices names the voices."""

from __future__ import annotations

from typing import AsyncIterator

from worldsmith._proto.worldsmith.v1 import common_pb2, speech_pb2
from worldsmith.config import SpeechConfig
from worldsmith.errors import InvalidArgument
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.registry import ModelProvider
from worldsmith.runtime.speech import SpeechClip, SpeechEngine, chosen_voice, complete_sentences, to_messages


class SpeechService:
    """One speech model, asked on every call (UNAVAILABLE with the reason while it is not ready)."""

    def __init__(self, settings: SpeechConfig, engine: ModelProvider[SpeechEngine]):
        self.settings = settings
        self._engine = engine

    async def ListVoices(self, request: speech_pb2.ListVoicesRequest, ctx: CallContext) -> speech_pb2.ListVoicesResponse:
        engine = self._engine()
        return speech_pb2.ListVoicesResponse(voices=engine.voices, sample_rate=engine.sample_rate)

    async def Speak(self, request: speech_pb2.SpeakRequest, ctx: CallContext) -> AsyncIterator[speech_pb2.SpeakResponse]:
        if len(request.text) > self.settings.max_text_chars:
            raise InvalidArgument("text", f"is {len(request.text)} characters; at most {self.settings.max_text_chars} "
                                          f"(speech.max_text_chars)")
        engine = self._engine()
        voice, speed = chosen_voice(engine, request.voice)
        sentences, rest = complete_sentences(request.text)
        sentences += [rest.strip()] if rest.strip() else []
        offset_ms, spoke = 0.0, False
        for sentence in sentences:
            async for event in engine.speak_events(sentence, voice, speed, ctx, seed=request.seed):
                if isinstance(event, common_pb2.Queued):
                    yield speech_pb2.SpeakResponse(queued=event)
                elif isinstance(event, SpeechClip) and event.pcm:
                    for message in to_messages(event, offset_ms):
                        yield _response(message)
                    offset_ms += event.duration_ms
                    spoke = True
        if not spoke:  # nothing speakable: an empty track and a closed mouth, not an error
            for message in to_messages(SpeechClip.silent(engine.sample_rate), 0.0):
                yield _response(message)
        yield speech_pb2.SpeakResponse(summary=speech_pb2.SpeechSummary(
            voice=voice, sample_rate=engine.sample_rate, duration_ms=offset_ms, engine=engine.model_id,
            engine_revision=engine.revision))


def _response(message) -> speech_pb2.SpeakResponse:
    if isinstance(message, speech_pb2.AudioChunk):
        return speech_pb2.SpeakResponse(audio=message)
    return speech_pb2.SpeakResponse(viseme=message)
