"""The speech domain as the server offers it: SpeechService, its speech model, access and lane."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import speech_pb2
from worldsmith.config import speech_options
from worldsmith.domain import Domain, ModelSlot, Parts, Scope, Use
from worldsmith.runtime.registry import engine_of
from worldsmith.speech.service import SpeechService


def _build(parts: Parts) -> SpeechService:
    return SpeechService(parts.settings.speech, parts.model("speech.model"))


DOMAIN = Domain(
    service=speech_pb2.DESCRIPTOR.services_by_name["SpeechService"],
    build=_build,
    models=(ModelSlot("speech.model", "speech", Use.REQUIRED, speech_options),),
    backend=lambda settings: engine_of(settings.models[settings.speech.model]) if settings.speech.model else "",
    # A game may voice a bark at run time; builds ask in the batch lane.
    default_scope=Scope.RUNTIME,
)
