"""The scene domain as the server offers it: SceneService, its planner model, access and lane."""

from __future__ import annotations

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.domain import Domain, ModelSlot, Parts
from worldsmith.scenes.service import SceneService


def _build(parts: Parts) -> SceneService:
    return SceneService(parts.settings.scenes, parts.cpu_engine, planner_provider=parts.model("scenes.planner_model"))


DOMAIN = Domain(
    service=scene_pb2.DESCRIPTOR.services_by_name["SceneService"],
    build=_build,
    models=(ModelSlot("scenes.planner_model", "text-generator"),),
    backend=lambda settings: "llm-planner" if settings.scenes.planner_model else "keyword-planner",
)
