"""Every service the server offers, one line each; transports, health, auth and assembly read this list."""

from __future__ import annotations

from worldsmith.api.admin import DOMAIN as ADMIN
from worldsmith.avatars.domain import DOMAIN as AVATARS
from worldsmith.dialogue.domain import DOMAIN as DIALOGUE
from worldsmith.domain import Domain
from worldsmith.scenes.domain import DOMAIN as SCENES
from worldsmith.speech.domain import DOMAIN as SPEECH
from worldsmith.textures.domain import DOMAIN as TEXTURES

DOMAINS: tuple[Domain, ...] = (DIALOGUE, TEXTURES, SCENES, AVATARS, SPEECH, ADMIN)

BY_NAME: dict[str, Domain] = {domain.name: domain for domain in DOMAINS}


def declared(service_name: str) -> Domain:
    """The declaration of "worldsmith.v1.TextureService"; a service not in DOMAINS is a wiring bug."""
    try:
        return BY_NAME[service_name]
    except KeyError:
        raise KeyError(f"{service_name} is not declared: add its Domain to DOMAINS in {__name__}") from None
