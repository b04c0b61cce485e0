"""generate(): request -> plan -> generator -> quality -> preview -> SceneResult, in-process."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Callable, Protocol

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.config import ScenesConfig
from worldsmith.errors import Cancelled
from worldsmith.scenes.dungeon import generate_dungeon
from worldsmith.scenes.interior import generate_interior
from worldsmith.scenes.parts import SceneParts
from worldsmith.scenes.plan import Plan, plannable_assets, resolve_plan
from worldsmith.scenes.planner_keywords import KeywordPlanner
from worldsmith.scenes.preview import render_glb
from worldsmith.scenes.quality import measure, named_elements
from worldsmith.scenes.spec import SceneSpec, read_request
from worldsmith.scenes.terrain import generate_terrain

BACKEND, BACKEND_VERSION = "worldsmith-scenes", "1"
DEFAULT_MAX_OBJECTS = ScenesConfig().max_objects

GENERATORS = {"interior": generate_interior, "dungeon": generate_dungeon, "terrain": generate_terrain}

ProgressCallback = Callable[[str, int, int], None]


class Planner(Protocol):
    """Anything that turns a checked request into a plan; `resolve_plan` then applies the catalog."""

    name: str

    def plan(self, spec: SceneSpec) -> Plan: ...


def generate(request: scene_pb2.GenerateSceneRequest, progress: ProgressCallback | None = None,
             should_stop: Callable[[], bool] | None = None, planner: Planner | None = None,
             max_objects: int = DEFAULT_MAX_OBJECTS) -> scene_pb2.SceneResult:
    """Generate a scene without a server: the CLI and build tools call this.

    Raises InvalidArgument for requests that cannot be satisfied (naming the field and why), and
    Cancelled when `should_stop()` turns true between stages."""
    spec, plan = prepare(request, max_objects, planner or KeywordPlanner())

    def check_stop() -> None:
        if should_stop is not None and should_stop():
            raise Cancelled("scene generation was stopped")

    return build(request, spec, plan, progress or (lambda stage, step, total: None), check_stop)


def prepare(request: scene_pb2.GenerateSceneRequest, max_objects: int, planner: Planner) -> tuple[SceneSpec, Plan]:
    """The cheap part that runs before any work is queued: check the request, plan, check the plan."""
    spec = read_request(request, max_objects)
    return spec, plan_for(spec, planner.plan(spec) if needs_plan(spec) else Plan((), planner.name))


def needs_plan(spec: SceneSpec) -> bool:
    """Bare dungeons, and catalogs with nothing for this kind, place no objects."""
    if spec.kind == "dungeon" and not spec.dungeon.furnish:
        return False
    return bool(plannable_assets(spec))


def plan_for(spec: SceneSpec, plan: Plan, trim: bool = False) -> Plan:
    """A planner's plan with the catalog's rules applied (see `resolve_plan`)."""
    return resolve_plan(spec, plan, trim) if needs_plan(spec) else plan


def build(request: scene_pb2.GenerateSceneRequest, spec: SceneSpec, plan: Plan, progress: ProgressCallback,
          check_stop: Callable[[], None], model: tuple[str, str] = ("", "")) -> scene_pb2.SceneResult:
    """The work: generate, measure, preview. Call `prepare` first."""
    parts: SceneParts = GENERATORS[spec.kind](spec, plan, progress, check_stop)
    check_stop()

    progress("quality", 0, 1)
    object_tags = {asset.tag for asset in spec.catalog.assets}
    quality = measure(parts.nodes, object_tags, parts.walk, parts.entrances, parts.extent_min, parts.extent_max,
                      parts.objects_requested)
    where = {"interior": f"a {spec.width:g} x {spec.depth:g} m room", "dungeon": "the dungeon's rooms"}.get(spec.kind, "the tile")
    quality.named_elements.extend(named_elements(parts.nodes, plan.named, object_tags, where) + parts.named_elements)
    if parts.hard_rules and (quality.collisions or quality.out_of_bounds or quality.blocked_doors
                             or quality.reachable_fraction < 1.0):
        # The solver keeps these by construction; a scene that breaks one is a bug, never an answer.
        raise RuntimeError(f"the {spec.kind} generator broke a hard rule (seed {spec.seed}): {quality}")
    progress("quality", 1, 1)

    result = scene_pb2.SceneResult(
        graph=scene_pb2.SceneGraph(nodes=parts.nodes), walkability=parts.walk, spawn_points=parts.spawn_points,
        quality=quality, recipe=recipe(request, spec, plan, parts, model), plan_json=plan.to_json(),
    )
    if parts.heightmap is not None:
        result.heightmap.CopyFrom(parts.heightmap)
    if spec.preview:
        check_stop()
        progress("preview", 0, 1)
        result.glb_preview = render_glb(parts.nodes, parts.terrain_mesh)
        progress("preview", 1, 1)
    return result


def recipe(request: scene_pb2.GenerateSceneRequest, spec: SceneSpec, plan: Plan, parts: SceneParts,
           model: tuple[str, str]) -> common_pb2.Recipe:
    """Seed, the planner's model, every resolved parameter, the plan, and a hash over all of them (the cache key)."""
    model_id, model_revision = model
    keyed = scene_pb2.GenerateSceneRequest()
    keyed.CopyFrom(request)
    keyed.ClearField("lane")
    digest = hashlib.sha256()
    for part in (BACKEND, BACKEND_VERSION, model_id, model_revision, plan.to_json()):
        digest.update(part.encode() + b"\0")
    digest.update(keyed.SerializeToString(deterministic=True))
    settings = getattr(spec, spec.kind)
    out = common_pb2.Recipe(seed=spec.seed, model_id=model_id, model_revision=model_revision, backend=BACKEND,
                            backend_version=BACKEND_VERSION, content_hash=digest.hexdigest())
    out.parameters.update({
        "kind": spec.kind, "prompt": spec.prompt, "bounds": [spec.width, spec.height, spec.depth],
        "planner": plan.planner, spec.kind: {**dataclasses.asdict(settings), **parts.parameters},
        "catalog_sha256": hashlib.sha256(spec.catalog.SerializeToString(deterministic=True)).hexdigest(),
    })
    return out
