"""Per-service serving status, derived from the declared models, the config and the registry; feeds health and GetServerInfo."""

from __future__ import annotations

from worldsmith.api.domains import DOMAINS
from worldsmith.config import Settings
from worldsmith.domain import Domain, ServiceStatus, Use
from worldsmith.runtime.registry import ModelRegistry



def service_status(domain: Domain, settings: Settings, registry: ModelRegistry) -> ServiceStatus:
    """NOT_SERVING, with the reason, while a model the service requires is unset or one it uses
    is not ready; a lent model never changes the status."""
    reasons = []
    for slot in domain.models:
        if slot.use is Use.LENT:
            continue
        names = slot.names(settings)
        if not names and slot.use is Use.REQUIRED:
            return ServiceStatus(False, slot.unset_reason(), "")
        reasons += [registry.reason(name) for name in names]
    reason = "; ".join(reason for reason in reasons if reason)
    return ServiceStatus(not reason, reason, domain.backend(settings))


def service_statuses(settings: Settings, registry: ModelRegistry) -> dict[str, ServiceStatus]:
    return {domain.name: service_status(domain, settings, registry) for domain in DOMAINS}
