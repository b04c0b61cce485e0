"""What a domain declares once: its proto service, how to build it, its models, access, lane and health."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable, Mapping

from google.protobuf.descriptor import ServiceDescriptor

from worldsmith.config import Settings
from worldsmith.runtime.context import Lane
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.registry import ModelProvider, ModelRegistry, ResidentEngine
from worldsmith.store import Store


class Scope(enum.StrEnum):
    """What an API key may call; admin implies editor implies runtime."""

    RUNTIME = "runtime"
    EDITOR = "editor"
    ADMIN = "admin"


class Use(enum.Enum):
    """How a service uses a model (the policy itself is stated in runtime/registry.py)."""

    REQUIRED = "required"  # no model-free path: NOT_SERVING, naming the key, until the config sets it
    OPTIONAL = "optional"  # unset: the model-free path; set but not ready: NOT_SERVING, calls UNAVAILABLE
    LENT = "lent"          # another domain's model, used while ready; never changes this service's health


@dataclass(frozen=True)
class ModelSlot:
    """A config key naming the model (or list of models) a service uses, e.g. "scenes.planner_model"."""

    key: str
    kind: str  # the [models] kind the key must name, for messages: "text-generator"
    use: Use = Use.OPTIONAL
    # What the model's loader takes beyond its [models] table, from this domain's settings.
    loader_options: Callable[[Settings], dict] | None = None

    def names(self, settings: Settings) -> list[str]:
        """The model names the config gives this key (none when it is unset)."""
        section, _, name = self.key.partition(".")
        value = getattr(getattr(settings, section), name)
        return list(value) if isinstance(value, list) else [value] if value else []

    def unset_reason(self) -> str:
        section, _, name = self.key.partition(".")
        return f"no {self.kind} model configured: set [{section}] {name} in the config"


@dataclass(frozen=True)
class ServiceStatus:
    serving: bool
    reason: str
    backend: str


@dataclass(frozen=True)
class Parts:
    """What a domain's `build` gets: the settings, the shared runtime, and providers for the models
    it declared (the registry and the statuses are for AdminService)."""

    domain: Domain
    settings: Settings
    registry: ModelRegistry
    store: Store
    cpu_engine: FunctionEngine
    statuses: Callable[[], dict[str, ServiceStatus]]

    def model(self, key: str) -> ModelProvider[ResidentEngine] | None:
        """The provider of the first model `key` names; None when it names none, unless the
        service requires it (then a provider whose Unavailable says which key to set)."""
        slot = self.domain.slot(key)
        names = slot.names(self.settings)
        if not names and slot.use is not Use.REQUIRED:
            return None
        return self.registry.provider(names[0] if names else "", key)

    def models(self, key: str) -> dict[str, ModelProvider[ResidentEngine]]:
        """A provider for every model `key` names, by model name."""
        return {name: self.registry.provider(name, key) for name in self.domain.slot(key).names(self.settings)}


@dataclass(frozen=True)
class Domain:
    """One service the server offers, declared by its package; api/domains.py lists them all.

    `scopes` names the methods that need another scope than `default_scope`; `backend` says,
    from the settings, what serves the domain (GetServerInfo reports it).
    """

    service: ServiceDescriptor
    build: Callable[[Parts], object]
    models: tuple[ModelSlot, ...] = ()
    backend: Callable[[Settings], str] = lambda settings: ""
    lane: Lane = Lane.INTERACTIVE
    default_scope: Scope = Scope.EDITOR
    scopes: Mapping[str, Scope] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.scopes) - set(self.service.methods_by_name))
        if unknown:
            raise ValueError(f"{self.name} has no method {unknown[0]!r}; its methods: {', '.join(self.service.methods_by_name)}")

    @property
    def name(self) -> str:
        """The full proto service name, "worldsmith.v1.TextureService"."""
        return self.service.full_name

    def scope_of(self, method: str) -> Scope:
        return self.scopes.get(method, self.default_scope)

    def slot(self, key: str) -> ModelSlot:
        for slot in self.models:
            if slot.key == key:
                return slot
        raise KeyError(f"{self.name} does not declare the model key {key!r}; add a ModelSlot for it to its Domain")
