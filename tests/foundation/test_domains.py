"""The domain declarations: every proto service declared once, and what assembly, health and auth derive from them."""

from __future__ import annotations

import pytest

from worldsmith._proto.worldsmith.v1 import admin_pb2, avatar_pb2, dialogue_pb2, scene_pb2, speech_pb2, texture_pb2
from worldsmith.api.auth import required_scope
from worldsmith.api.domains import DOMAINS, declared
from worldsmith.api.health import service_status
from worldsmith.api.services import loader_options
from worldsmith.config import Settings
from worldsmith.domain import Domain, Parts, Scope
from worldsmith.errors import Unavailable
from worldsmith.runtime.engine import FunctionEngine, LaneLimits
from worldsmith.runtime.registry import ModelRegistry

TINY_TEXT = {"kind": "text-generator", "source": "./no-such-model"}
TINY_DIFFUSION = {"kind": "diffusion", "source": "./no-such-model"}


def test_every_proto_service_is_declared_once():
    in_proto = {service.full_name for module in (admin_pb2, avatar_pb2, dialogue_pb2, scene_pb2, speech_pb2, texture_pb2)
                for service in module.DESCRIPTOR.services_by_name.values()}
    names = [domain.name for domain in DOMAINS]
    assert sorted(names) == sorted(in_proto)
    with pytest.raises(KeyError, match="add its Domain to DOMAINS"):
        declared("worldsmith.v1.NoSuchService")


def test_a_scope_for_a_method_the_service_lacks_is_refused_at_declaration():
    with pytest.raises(ValueError, match="no method 'Sing'"):
        Domain(service=scene_pb2.DESCRIPTOR.services_by_name["SceneService"], build=lambda parts: None,
               scopes={"Sing": Scope.RUNTIME})


def test_scopes_come_from_the_declarations():
    assert required_scope("/worldsmith.v1.DialogueService/Say") == Scope.RUNTIME
    assert required_scope("/worldsmith.v1.DialogueService/UpsertCharacter") == Scope.EDITOR
    assert required_scope("/worldsmith.v1.AvatarService/CreateAvatar") == Scope.RUNTIME
    assert required_scope("/worldsmith.v1.TextureService/GenerateTexture") == Scope.EDITOR
    assert required_scope("/worldsmith.v1.AdminService/GetServerInfo") == Scope.EDITOR
    assert required_scope("/worldsmith.v1.AdminService/LoadModel") == Scope.ADMIN
    assert required_scope("/grpc.health.v1.Health/Check") is None


def _parts(domain: Domain, settings: Settings) -> Parts:
    registry = ModelRegistry(settings.models, LaneLimits())
    return Parts(domain, settings, registry, store=None, cpu_engine=FunctionEngine(), statuses=dict)


def test_an_unset_optional_model_means_no_provider_and_an_unset_required_one_names_its_key():
    parts = _parts(declared("worldsmith.v1.DialogueService"), Settings())
    assert parts.model("dialogue.embedder") is None
    with pytest.raises(Unavailable, match="dialogue.model is not set"):
        parts.model("dialogue.model")()
    with pytest.raises(KeyError, match="add a ModelSlot"):
        parts.model("scenes.planner_model")


def test_a_set_model_that_is_not_ready_answers_unavailable_with_the_reason():
    settings = Settings(models={"planner": TINY_TEXT}, scenes={"planner_model": "planner"})
    provider = _parts(declared("worldsmith.v1.SceneService"), settings).model("scenes.planner_model")
    with pytest.raises(Unavailable, match="'planner' is unloaded"):
        provider()


def test_health_follows_the_declared_models_and_ignores_lent_ones():
    settings = Settings(models={"painter": TINY_DIFFUSION, "parser": TINY_TEXT}, textures={"models": ["painter"]})
    registry = ModelRegistry(settings.models, LaneLimits())
    avatars, textures = declared("worldsmith.v1.AvatarService"), declared("worldsmith.v1.TextureService")
    assert service_status(avatars, settings, registry).serving  # the lent texture model is not ready: still serving
    assert not service_status(textures, settings, registry).serving
    with_parser = settings.model_copy(update={"avatars": settings.avatars.model_copy(update={"parser_model": "parser"})})
    status = service_status(avatars, with_parser, registry)
    assert not status.serving and "'parser' is unloaded" in status.reason and status.backend == "llm-parser"
    dialogue = service_status(declared("worldsmith.v1.DialogueService"), Settings(), registry)
    assert dialogue.reason == "no text-generator model configured: set [dialogue] model in the config"



def test_loader_options_come_from_the_slots_that_name_the_model():
    settings = Settings(models={"npc": TINY_TEXT, "painter": TINY_DIFFUSION}, dialogue={"model": "npc", "max_batch_size": 3},
                        textures={"models": ["painter"], "max_batch_size": 2}, scenes={"planner_model": "npc"})
    options = loader_options(settings)
    assert options["painter"] == {"max_batch_size": 2}
    assert options["npc"]["max_batch_size"] == 3 and options["npc"]["context_tokens"] > 0
