"""Per-service serving status, derived from the config and the registry; feeds health and GetServerInfo."""

from __future__ import annotations

from dataclasses import dataclass

from worldsmith.config import Settings
from worldsmith.runtime.registry import ModelRegistry

DIALOGUE = "worldsmith.v1.DialogueService"
TEXTURE = "worldsmith.v1.TextureService"
SCENE = "worldsmith.v1.SceneService"
AVATAR = "worldsmith.v1.AvatarService"
ADMIN = "worldsmith.v1.AdminService"


@dataclass(frozen=True)
class ServiceStatus:
    serving: bool
    reason: str
    backend: str


def _needs(registry: ModelRegistry, names: list[str]) -> str:
    return "; ".join(reason for reason in (registry.reason(n) for n in names if n) if reason)


def service_statuses(settings: Settings, registry: ModelRegistry) -> dict[str, ServiceStatus]:
    """NOT_SERVING, with the reason, for a service whose configured model is not ready."""
    statuses: dict[str, ServiceStatus] = {}

    if not settings.dialogue.model:
        statuses[DIALOGUE] = ServiceStatus(False, "no text-generator model configured: set [dialogue] model in the config", "")
    else:
        reason = _needs(registry, [settings.dialogue.model, settings.dialogue.embedder])
        statuses[DIALOGUE] = ServiceStatus(not reason, reason, settings.models[settings.dialogue.model].text_engine)

    reason = _needs(registry, settings.textures.models)
    statuses[TEXTURE] = ServiceStatus(not reason, reason, "diffusion" if settings.textures.models else "procedural")

    reason = _needs(registry, [settings.scenes.planner_model])
    statuses[SCENE] = ServiceStatus(not reason, reason, "llm-planner" if settings.scenes.planner_model else "keyword-planner")

    reason = _needs(registry, [settings.avatars.parser_model])
    statuses[AVATAR] = ServiceStatus(not reason, reason, "llm-parser" if settings.avatars.parser_model else "rule-parser")

    statuses[ADMIN] = ServiceStatus(True, "", "")
    return statuses
