"""The keyword planner and the plan schema: words and numbers to assets, counts and relations."""

from __future__ import annotations

import jsonschema
import pytest

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.scenes import generate
from worldsmith.scenes.plan import Plan, PlanItem, PlannedRelation, plan_schema, resolve_plan
from worldsmith.scenes.planner_keywords import KeywordPlanner
from worldsmith.scenes.prompt_words import Named
from worldsmith.scenes.spec import read_request


def spec_for(prompt: str, kind=scene_pb2.SCENE_KIND_INTERIOR, bounds=(10, 3, 8), seed=1, **fields):
    request = scene_pb2.GenerateSceneRequest(kind=kind, prompt=prompt, seed=seed,
                                             bounds=common_pb2.Vec3(x=bounds[0], y=bounds[1], z=bounds[2]), **fields)
    return read_request(request, max_objects=500)


def counts(plan: Plan) -> dict[str, int]:
    return {item.tag: item.count for item in plan.items}


def test_numbers_and_names_from_the_prompt():
    plan = KeywordPlanner().plan(spec_for("a table with four chairs and 2 barrels"))
    assert counts(plan) == {"table": 1, "chair": 4, "barrel": 2}


def test_a_theme_fills_the_room_with_its_assets():
    plan = resolve_plan(spec := spec_for("a library"), KeywordPlanner().plan(spec))
    got = counts(plan)
    assert got["shelf"] == max(got.values()) and "bed" not in got


def test_relation_words_become_relations():
    plan = KeywordPlanner().plan(spec_for("a chest beside the bed"))
    chest = next(item for item in plan.items if item.tag == "chest")
    assert PlannedRelation("near", "bed") in chest.relations


def test_same_prompt_and_seed_same_plan_and_object_count_is_met():
    spec = spec_for("", interior=scene_pb2.InteriorParameters(object_count=25))
    first, again = KeywordPlanner().plan(spec), KeywordPlanner().plan(spec)
    assert first == again and first.total == 25


def test_terrain_plans_use_scatter_assets_only():
    plan = KeywordPlanner().plan(spec_for("a rocky forest", kind=scene_pb2.SCENE_KIND_TERRAIN, bounds=(256, 40, 256)))
    assert set(counts(plan)) <= {"tree", "bush", "rock"} and counts(plan)["tree"] > counts(plan).get("bush", 0)


def test_resolve_applies_catalog_limits_and_rules():
    spec = spec_for("a room with two table lamps")
    raw = Plan((PlanItem("table_lamp", 2), PlanItem("chair", 99), PlanItem("dragon", 3)), "model")
    plan = resolve_plan(spec, raw)
    got = counts(plan)
    assert got["chair"] == 48, "max_count caps the planner"
    assert "dragon" not in got, "unknown tags are dropped"
    assert got["table"] == 1, "a table lamp needs a table to stand on"
    chair = next(item for item in plan.items if item.tag == "chair")
    assert PlannedRelation("seated_at", "table", 0.0) in chair.relations, "the catalog's own relations always apply"


def test_plan_schema_accepts_plans_and_rejects_unknown_tags():
    spec = spec_for("a tavern")
    schema = plan_schema(spec)
    plan = KeywordPlanner().plan(spec)
    data = plan.to_dict()
    del data["planner"]
    jsonschema.validate(data, schema)
    assert Plan.from_dict(data, "keywords") == plan
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"items": [{"tag": "dragon", "count": 1}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"items": [{"tag": "chair", "count": 1, "relations": [{"kind": "above", "target": "table"}]}]}, schema)


def test_a_room_type_brings_its_programme_sized_to_the_room():
    tavern = counts(resolve_plan(spec := spec_for("a cosy tavern with a bar and tables", seed=3), KeywordPlanner().plan(spec)))
    assert tavern["bar_counter"] == 1 and tavern["stool"] >= 2
    assert tavern["table"] >= 2 and tavern["chair"] == 4 * tavern["table"]
    assert tavern.get("wall_lamp", 0) + tavern.get("chandelier", 0) >= 2 and "table_lamp" not in tavern
    small = counts(resolve_plan(spec := spec_for("a tavern", bounds=(6, 3, 5)), KeywordPlanner().plan(spec)))
    assert small["table"] < tavern["table"]
    dungeon = counts(resolve_plan(spec := spec_for("a dungeon", kind=scene_pb2.SCENE_KIND_DUNGEON, bounds=(64, 3, 64),
                                                   dungeon=scene_pb2.DungeonParameters(furnish=True)), KeywordPlanner().plan(spec)))
    assert not {"table", "chair", "bed", "bar_counter"} & set(dungeon) and dungeon["torch"] >= 4


def test_named_numbers_override_the_programme_and_lamps_go_on_tables_only_when_asked():
    three = counts(resolve_plan(spec := spec_for("a tavern with three tables and a fireplace", bounds=(12, 3.5, 9)),
                                KeywordPlanner().plan(spec)))
    assert three["table"] == 3 and three["fireplace"] == 1 and three["chair"] == 12
    lamps = counts(resolve_plan(spec := spec_for("a study with lamps on the tables"), KeywordPlanner().plan(spec)))
    assert lamps["table_lamp"] >= 2 and lamps["table"] >= 1


def test_any_planner_gets_the_programme_and_only_the_prompts_named_words():
    """A model's plan that forgets the bar still gets one; a named word the prompt never said is ignored."""
    spec = spec_for("a cosy tavern with a bar and tables")
    model = Plan((PlanItem("bed", 2),), "llm", room="tavern", named=(Named("dragons", "barrel", 9, True),))
    plan = resolve_plan(spec, model, trim=True)
    got = counts(plan)
    assert got["bar_counter"] == 1 and got["table"] >= 2 and "bed" not in got and got.get("barrel", 0) < 9
    assert [n.word for n in plan.named] == ["bar", "tables"]
    schema = plan_schema(spec)
    jsonschema.validate({"room": "tavern", "items": [{"tag": "stool", "count": 4, "relations": [
        {"kind": "seated_at", "target": "bar_counter"}]}], "named": [{"word": "bar", "tag": "bar_counter", "count": 1}]}, schema)


def test_a_listed_element_no_asset_stands_for_is_reported_with_a_reason():
    request = scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, seed=2, bounds=common_pb2.Vec3(x=10, y=4, z=8),
                                             prompt="a throne room with a gilded throne, banners and two braziers near the door")
    report = {e.word: e for e in generate(request).quality.named_elements}
    assert report["braziers"].placed == 2 and not report["braziers"].note
    for word in ("throne", "banners"):
        assert report[word].placed == 0 and word in report[word].note
    assert "door" not in report  # after "near", the list is over
