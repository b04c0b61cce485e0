"""Impossible requests are refused with the field and the reason, never answered with a broken scene."""

from __future__ import annotations

import pytest

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes import generate

INTERIOR, DUNGEON, TERRAIN = scene_pb2.SCENE_KIND_INTERIOR, scene_pb2.SCENE_KIND_DUNGEON, scene_pb2.SCENE_KIND_TERRAIN


def asset(tag: str, size=(1, 1, 1), **fields) -> scene_pb2.CatalogAsset:
    return scene_pb2.CatalogAsset(tag=tag, size=common_pb2.Vec3(x=size[0], y=size[1], z=size[2]), **fields)


def request(kind=INTERIOR, bounds=(6, 3, 5), catalog=None, prompt="", **fields) -> scene_pb2.GenerateSceneRequest:
    out = scene_pb2.GenerateSceneRequest(kind=kind, prompt=prompt, seed=1, bounds=common_pb2.Vec3(x=bounds[0], y=bounds[1], z=bounds[2]), **fields)
    if catalog:
        out.catalog.assets.extend(catalog)
    return out


def refused(req: scene_pb2.GenerateSceneRequest) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        generate(req)
    return dict(caught.value.violations)


def test_unknown_or_missing_kind():
    assert "kind" in refused(request(kind=scene_pb2.SCENE_KIND_UNSPECIFIED))
    assert "kind" in refused(request(kind=42))


@pytest.mark.parametrize("bounds", [(0, 3, 5), (6, -1, 5), (6, 3, float("nan"))])
def test_zero_negative_or_nan_bounds(bounds):
    assert "positive" in refused(request(bounds=bounds))["bounds"]


def test_zero_or_negative_asset_size():
    violations = refused(request(catalog=[asset("crate", (0.8, 0, 0.8)), asset("rock", (-1, 1, 1))]))
    assert "positive" in violations["catalog.assets[0].size"] and "catalog.assets[1].size" in violations


def test_on_top_of_itself_and_a_cycle():
    on_itself = refused(request(catalog=[asset("vase", placement=scene_pb2.PLACEMENT_ON_TOP_OF, on_top_of="vase")]))
    assert "itself" in on_itself["catalog.assets[0].on_top_of"]
    cycle = refused(request(catalog=[
        asset("cup", placement=scene_pb2.PLACEMENT_ON_TOP_OF, on_top_of="plate"),
        asset("plate", placement=scene_pb2.PLACEMENT_ON_TOP_OF, on_top_of="cup"),
    ]))
    assert any("cycle" in reason and "cup" in reason and "plate" in reason for reason in cycle.values())


def test_rules_naming_unknown_assets():
    violations = refused(request(catalog=[
        asset("lamp", placement=scene_pb2.PLACEMENT_ON_TOP_OF, on_top_of="desk"),
        asset("chair", relations=[scene_pb2.Relation(kind=scene_pb2.RELATION_KIND_NEAR, target_tag="sofa")]),
    ]))
    assert "'desk'" in violations["catalog.assets[0].on_top_of"]
    assert "'sofa'" in violations["catalog.assets[1].relations[0].target_tag"]


def test_catalog_entry_larger_than_the_room():
    violations = refused(request(bounds=(4, 3, 4), catalog=[asset("boat", (6, 1, 2), min_count=1)]))
    assert "larger than" in violations["catalog.assets[0].size"]
    taller = refused(request(bounds=(4, 2.5, 4), catalog=[asset("statue", (1, 3, 1), min_count=1)]))
    assert "ceiling" in taller["catalog.assets[0].size"]


def test_bounds_too_small_for_the_requested_assets():
    asked = refused(request(bounds=(3, 3, 3), prompt="four beds and two wardrobes"))
    assert "too small" in asked["bounds"] and "bed" in asked["bounds"]
    counted = refused(request(bounds=(3, 3, 3), interior=scene_pb2.InteriorParameters(object_count=200)))
    assert "interior.object_count" in counted


def test_required_count_the_solver_cannot_keep_names_the_asset():
    pillars = [asset("pillar", (0.9, 2, 0.9), placement=scene_pb2.PLACEMENT_CENTER, min_count=5)]
    reason = refused(request(bounds=(3, 3, 3), catalog=pillars))["catalog.assets[0].min_count"]
    assert "5 'pillar' are required" in reason


def test_parameters_for_another_kind_and_odd_shapes():
    assert "interior" in refused(request(kind=TERRAIN, interior=scene_pb2.InteriorParameters(doors=1)))
    assert "square" in refused(request(kind=TERRAIN, bounds=(100, 20, 50)))["bounds"]
    assert "dungeon.width_cells" in refused(request(kind=DUNGEON, bounds=(10, 3, 64), dungeon=scene_pb2.DungeonParameters(cell_size=1)))
    assert "interior.doors" in refused(request(interior=scene_pb2.InteriorParameters(doors=50)))
    assert "terrain.resolution" in refused(request(kind=TERRAIN, bounds=(64, 10, 64), terrain=scene_pb2.TerrainParameters(resolution=9)))


def test_a_huge_catalog_is_refused_naming_catalog_assets_before_planning():
    from worldsmith.scenes.catalog import MAX_CATALOG_ASSETS, MAX_RELATIONS_PER_ASSET
    from worldsmith.scenes.spec import read_request

    huge = request(catalog=[asset(f"crate_{i}") for i in range(100_000)])
    with pytest.raises(InvalidArgument) as caught:
        read_request(huge, max_objects=64)
    assert [field for field, _ in caught.value.violations] == ["catalog.assets"]
    assert str(MAX_CATALOG_ASSETS) in caught.value.violations[0][1]
    near = scene_pb2.Relation(kind=scene_pb2.RELATION_KIND_NEAR, target_tag="crate", distance=1)
    tangled = request(catalog=[asset("crate", relations=[near] * (MAX_RELATIONS_PER_ASSET + 1))])
    assert "catalog.assets[0].relations" in refused(tangled)


def test_seats_and_wall_assets_that_cannot_be_set_out():
    seated = scene_pb2.Relation(kind=scene_pb2.RELATION_KIND_SEATED_AT, target_tag="sconce")
    violations = refused(request(catalog=[
        asset("sconce", placement=scene_pb2.PLACEMENT_ON_WALL),
        asset("chair", relations=[seated]),
        asset("rug", mount_height=1.5),
        asset("bench", placement=scene_pb2.PLACEMENT_AGAINST_WALL,
              relations=[scene_pb2.Relation(kind=scene_pb2.RELATION_KIND_SEATED_AT, target_tag="table")]),
        asset("table", placement=scene_pb2.PLACEMENT_CENTER),
    ]))
    assert "must stand on the floor" in violations["catalog.assets[1].relations[0].target_tag"]
    assert "PLACEMENT_ON_WALL" in violations["catalog.assets[2].mount_height"]
    assert "stands free on the floor" in violations["catalog.assets[3].relations"]
