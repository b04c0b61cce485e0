"""The dialogue domain as the server offers it: DialogueService, its models, access and lane."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import dialogue_pb2
from worldsmith.config import Settings, speech_options
from worldsmith.dialogue.service import DialogueService
from worldsmith.domain import Domain, ModelSlot, Parts, Scope, Use
from worldsmith.runtime.context import Lane


def _build(parts: Parts) -> DialogueService:
    return DialogueService(parts.settings.dialogue, parts.store, parts.model("dialogue.model"), parts.model("dialogue.embedder"),
                           parts.model("speech.model"))


def _generator_options(settings: Settings) -> dict:
    # The KV cache is sized for max_batch_size turns of a full prompt plus a reply.
    dialogue = settings.dialogue
    return {"max_batch_size": dialogue.max_batch_size, "context_tokens": dialogue.context_tokens + dialogue.max_new_tokens}


def _backend(settings: Settings) -> str:
    return settings.models[settings.dialogue.model].text_engine if settings.dialogue.model else ""


# A game client (runtime key) runs sessions and turns and reads characters; writing them needs editor.
RUNTIME_METHODS = ("CreateSession", "GetSession", "DeleteSession", "ExportSession", "ImportSession",
                   "Say", "Converse", "ReportHeard", "GetCharacter", "ListCharacters")

DOMAIN = Domain(
    service=dialogue_pb2.DESCRIPTOR.services_by_name["DialogueService"],
    build=_build,
    # Spoken turns borrow SpeechService's model: a voice that fails to load leaves text dialogue serving.
    models=(ModelSlot("dialogue.model", "text-generator", Use.REQUIRED, _generator_options), ModelSlot("dialogue.embedder", "embedder"),
            ModelSlot("speech.model", "speech", Use.LENT, speech_options)),
    backend=_backend,
    lane=Lane.REALTIME,  # NPCs talking in a running game
    scopes={method: Scope.RUNTIME for method in RUNTIME_METHODS},
)
