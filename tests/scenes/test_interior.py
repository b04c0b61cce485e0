"""Interiors over many seeds: hard rules rechecked from the scene graph, relations mostly kept,
the GLB loads back, the same request gives the same bytes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.scenes.hard_rules import assert_hard_rules, load_glb
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.scenes import generate
from worldsmith.scenes.catalog import default_catalog

ROOMS = [  # prompt, bounds, doors, windows, object_count
    ("a bedroom", (5, 3, 4), 1, 1, 0),
    ("a tavern with four tables and sixteen chairs", (12, 3.5, 9), 2, 3, 0),
    ("a library with shelves", (8, 3, 6), 1, 2, 0),
    ("a storeroom full of crates and barrels", (6, 2.6, 5), 1, 0, 0),
    ("", (10, 3, 8), 3, 4, 30),
    ("a dining hall with chairs around the tables", (14, 4, 10), 2, 4, 0),
]


def interior(prompt: str, bounds, seed: int, doors: int = 1, windows: int = 2, objects: int = 0, **fields) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(
        kind=scene_pb2.SCENE_KIND_INTERIOR, prompt=prompt, seed=seed, bounds=common_pb2.Vec3(x=bounds[0], y=bounds[1], z=bounds[2]),
        interior=scene_pb2.InteriorParameters(doors=doors, windows=windows, object_count=objects), **fields)


@pytest.mark.parametrize("prompt,bounds,doors,windows,objects", ROOMS)
def test_hard_rules_hold_on_every_seed(prompt, bounds, doors, windows, objects):
    asked = kept = requested = placed = 0
    for seed in range(4):
        result = generate(interior(prompt, bounds, seed, doors, windows, objects, skip_preview=True))
        assert_hard_rules(result, default_catalog(), ((0, 0, 0), bounds))
        quality = result.quality
        assert (quality.collisions, quality.out_of_bounds, quality.blocked_doors) == (0, 0, 0)
        assert quality.reachable_fraction == 1.0
        assert sum(n.tag == "door" for n in result.graph.nodes) == doors
        assert sum(n.tag == "window" for n in result.graph.nodes) == windows
        asked += quality.relations_requested
        kept += quality.relations_satisfied
        requested += quality.objects_requested
        placed += quality.objects_placed
    assert placed >= 0.95 * requested > 0
    assert kept >= 0.8 * asked


def test_a_hundred_objects_fit_a_hall():
    result = generate(interior("", (20, 3.5, 16), seed=7, doors=2, windows=4, objects=100, skip_preview=True))
    assert result.quality.objects_placed == 100
    assert_hard_rules(result, default_catalog(), ((0, 0, 0), (20, 3.5, 16)))


def test_relations_hold_where_the_graph_says():
    """Chairs near and facing tables, checked from node transforms alone."""
    result = generate(interior("four tables and twelve chairs", (12, 3, 10), seed=3, skip_preview=True))
    nodes = list(result.graph.nodes)
    tables = [n for n in nodes if n.tag == "table"]
    chairs = [n for n in nodes if n.tag == "chair"]
    assert len(tables) == 4 and len(chairs) == 12
    faced = 0
    for chair in chairs:
        c = np.array([chair.transform.position.x, chair.transform.position.z])
        yaw = 2 * np.arctan2(chair.transform.rotation.y, chair.transform.rotation.w)
        front = np.array([np.sin(yaw), np.cos(yaw)])
        centres = np.array([[t.transform.position.x, t.transform.position.z] for t in tables])
        nearest = centres[np.argmin(np.linalg.norm(centres - c, axis=1))]
        direction = (nearest - c) / np.linalg.norm(nearest - c)
        faced += float(direction @ front) >= np.cos(np.radians(45)) - 1e-6
    assert faced >= 10


def test_same_request_same_bytes_and_seed_changes_the_room():
    first = generate(interior("a tavern", (10, 3, 8), seed=11))
    again = generate(interior("a tavern", (10, 3, 8), seed=11))
    other = generate(interior("a tavern", (10, 3, 8), seed=12))
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    assert first.glb_preview == again.glb_preview
    assert first.graph != other.graph
    assert first.recipe.content_hash == again.recipe.content_hash != other.recipe.content_hash


def test_glb_preview_loads_back_with_a_node_per_object():
    result = generate(interior("a bedroom", (5, 3, 4), seed=2))
    scene = load_glb(result.glb_preview)
    drawn = set(scene.graph.nodes_geometry)
    expected = {n.id for n in result.graph.nodes if n.tag != "room"}
    assert expected <= drawn
    low, high = scene.bounds
    assert np.all(low >= [-0.05, -0.05, -0.05]) and np.all(high <= [5.05, 3.05, 4.05])


def test_result_carries_plan_walk_grid_and_recipe():
    result = generate(interior("a study", (6, 3, 5), seed=4, skip_preview=True))
    plan = json.loads(result.plan_json)
    assert plan["planner"] == "keywords" and plan["items"]
    walk = result.walkability
    assert walk.width * walk.depth == len(walk.cells) and walk.cell_size > 0
    assert [s.name for s in result.spawn_points] == ["entrance"]
    assert result.recipe.seed == 4 and len(result.recipe.content_hash) == 64
    assert result.recipe.parameters["kind"] == "interior"
    assert not result.glb_preview


def test_custom_catalog_with_min_counts_and_stacking():
    catalog = scene_pb2.AssetCatalog(assets=[
        scene_pb2.CatalogAsset(tag="desk", size=common_pb2.Vec3(x=1.2, y=0.75, z=0.6), placement=scene_pb2.PLACEMENT_AGAINST_WALL,
                               clearance_front=0.6, min_count=2, max_count=2),
        scene_pb2.CatalogAsset(tag="monitor", size=common_pb2.Vec3(x=0.5, y=0.4, z=0.2), placement=scene_pb2.PLACEMENT_ON_TOP_OF,
                               on_top_of="desk", min_count=2, max_count=2),
        scene_pb2.CatalogAsset(tag="plant", size=common_pb2.Vec3(x=0.4, y=1.0, z=0.4), max_count=3,
                               relations=[scene_pb2.Relation(kind=scene_pb2.RELATION_KIND_NEAR, target_tag="desk", distance=0.8)]),
    ])
    result = generate(interior("an office with three plants", (5, 3, 4), seed=5, catalog=catalog, skip_preview=True))
    assert_hard_rules(result, catalog, ((0, 0, 0), (5, 3, 4)))
    by_id = {n.id: n for n in result.graph.nodes}
    monitors = [n for n in result.graph.nodes if n.tag == "monitor"]
    assert len(monitors) == 2 and sum(n.tag == "plant" for n in result.graph.nodes) == 3
    for monitor in monitors:
        desk = by_id[monitor.parent_id]
        assert desk.tag == "desk"
        assert abs(monitor.bounds_min.y - desk.bounds_max.y) < 1e-4
        assert desk.bounds_min.x - 1e-4 <= monitor.bounds_min.x and monitor.bounds_max.x <= desk.bounds_max.x + 1e-4


def test_named_elements_the_catalog_lacks_are_reported_and_its_own_words_come_first():
    catalog = scene_pb2.AssetCatalog(assets=[
        scene_pb2.CatalogAsset(tag="bunk", size=common_pb2.Vec3(x=1, y=1.6, z=2), placement=scene_pb2.PLACEMENT_AGAINST_WALL, max_count=4),
        scene_pb2.CatalogAsset(tag="locker", size=common_pb2.Vec3(x=0.6, y=1.9, z=0.5), placement=scene_pb2.PLACEMENT_AGAINST_WALL),
    ])
    result = generate(interior("crew quarters with a bar and three bunks", (8, 3, 6), seed=2, catalog=catalog, skip_preview=True))
    report = {e.word: e for e in result.quality.named_elements}
    assert (report["bunks"].tag, report["bunks"].placed, report["bunks"].requested) == ("bunk", 3, 3) and not report["bunks"].note
    assert report["bar"].placed == 0 and "no 'bar_counter'" in report["bar"].note
    assert sum(n.tag == "bunk" for n in result.graph.nodes) == 3
