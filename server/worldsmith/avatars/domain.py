"""The avatar domain as the server offers it: AvatarService, its models, access and lane."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars.service import AvatarService
from worldsmith.domain import Domain, ModelSlot, Parts, Scope, Use


def _build(parts: Parts) -> AvatarService:
    return AvatarService(parts.settings.avatars, parts.cpu_engine, parser_provider=parts.model("avatars.parser_model"),
                         texture_provider=parts.model("textures.models"))


DOMAIN = Domain(
    service=avatar_pb2.DESCRIPTOR.services_by_name["AvatarService"],
    build=_build,
    # The first texture model paints hair and garment tiles while it is ready.
    models=(ModelSlot("avatars.parser_model", "text-generator"), ModelSlot("textures.models", "diffusion", Use.LENT)),
    backend=lambda settings: "llm-parser" if settings.avatars.parser_model else "rule-parser",
    # Games create their players' avatars at run time.
    scopes={"CreateAvatar": Scope.RUNTIME, "GetAvatarOptions": Scope.RUNTIME},
)
