"""The LLM planner on the tiny random chat model: grammar-constrained plans the solver places."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.scenes.hard_rules import assert_hard_rules
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.config import ScenesConfig
from worldsmith.errors import Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.text_generator import load
from worldsmith.runtime.tiny import text as tiny_text
from worldsmith.scenes.catalog import default_catalog
from worldsmith.scenes.plan import plan_schema
from worldsmith.scenes.planner_llm import LlmPlanner
from worldsmith.scenes.service import SceneService
from worldsmith.scenes.spec import read_request


@pytest.fixture(scope="module")
async def generator(tmp_path_factory):
    engine = load(str(tiny_text.make(tmp_path_factory.mktemp("tiny-planner"))), max_batch_size=4)
    await engine.start()
    yield engine
    await engine.stop()


@pytest.fixture(scope="module")
async def service(generator):
    cpu = FunctionEngine()
    await cpu.start()
    # As the server wires it: asked for the generator on each call.
    yield SceneService(ScenesConfig(planner_model="planner"), cpu, planner_provider=lambda: generator)
    await cpu.stop()


def room(seed: int) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, prompt="a cosy tavern", seed=seed,
                                          bounds=common_pb2.Vec3(x=10, y=3, z=8), skip_preview=True)


async def test_an_unloaded_planner_model_answers_unavailable():
    def not_loaded():
        raise Unavailable("model 'planner' is still loading")

    cpu = FunctionEngine()
    await cpu.start()
    service = SceneService(ScenesConfig(planner_model="planner"), cpu, planner_provider=not_loaded)
    with pytest.raises(Unavailable):
        await service.GenerateScene(room(1), CallContext()).__anext__()
    await cpu.stop()


async def test_model_plans_are_valid_against_the_schema_for_every_seed(generator):
    planner = LlmPlanner(generator)
    for seed in range(4):
        spec = read_request(room(seed), max_objects=500)
        plan = await planner.plan(spec, CallContext())
        if plan.planner == "llm":
            data = plan.to_dict()
            del data["planner"]
            jsonschema.validate(data, plan_schema(spec))
        else:
            assert plan.planner.startswith("keywords (")


async def test_service_places_the_model_plan_under_the_hard_rules(service):
    events = [e async for e in service.GenerateScene(room(3), CallContext())]
    assert events[0].progress.stage == "plan" and events[-1].HasField("result")
    result = events[-1].result
    assert json.loads(result.plan_json)["planner"] in ("llm", "keywords (the model's plan ran past 384 tokens)")
    assert result.recipe.model_id and result.recipe.model_revision
    assert_hard_rules(result, default_catalog(), ((0, 0, 0), (10, 3, 8)))
    again = [e async for e in service.GenerateScene(room(3), CallContext())][-1].result
    assert again.SerializeToString(deterministic=True) == result.SerializeToString(deterministic=True)
