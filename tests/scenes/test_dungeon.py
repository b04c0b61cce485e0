"""Dungeons over many seeds: connected from entrance to exit, furnished rooms keep the hard rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from tests.scenes.hard_rules import assert_hard_rules, cell_of, load_glb, walk_cells
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.scenes import generate
from worldsmith.scenes.catalog import default_catalog

BSP, CAVES = scene_pb2.DUNGEON_ALGORITHM_BSP, scene_pb2.DUNGEON_ALGORITHM_CAVES


def dungeon(seed: int, algorithm=BSP, cells: int = 48, cell_size: float = 2.0, furnish: bool = True, prompt: str = "a dungeon",
            **fields) -> scene_pb2.GenerateSceneRequest:
    side = cells * cell_size
    return scene_pb2.GenerateSceneRequest(
        kind=scene_pb2.SCENE_KIND_DUNGEON, prompt=prompt, seed=seed, bounds=common_pb2.Vec3(x=side, y=3, z=side),
        dungeon=scene_pb2.DungeonParameters(algorithm=algorithm, furnish=furnish, cell_size=cell_size), **fields)


def rock_only_connected(result: scene_pb2.SceneResult, side: float) -> bool:
    """Structure alone, from wall nodes: the open floor is one piece."""
    step = 0.5
    n = int(round(side / step))
    open_floor = np.ones((n, n), bool)
    for node in result.graph.nodes:
        if node.tag == "wall":
            c0, c1 = int(round(node.bounds_min.x / step)), int(round(node.bounds_max.x / step))
            r0, r1 = int(round(node.bounds_min.z / step)), int(round(node.bounds_max.z / step))
            open_floor[r0:r1, c0:c1] = False
    return ndimage.label(open_floor)[1] == 1


@pytest.mark.parametrize("algorithm", [BSP, CAVES], ids=["bsp", "caves"])
def test_connected_and_furnished_by_the_rules_on_every_seed(algorithm):
    asked = kept = 0
    for seed in range(4):
        result = generate(dungeon(seed, algorithm, skip_preview=True))
        side = 48 * 2.0
        assert_hard_rules(result, default_catalog(), ((0, 0, 0), (side, 3, side)))
        assert rock_only_connected(result, side)
        quality = result.quality
        assert quality.reachable_fraction == 1.0 and quality.collisions == quality.out_of_bounds == quality.blocked_doors == 0
        assert quality.objects_placed == quality.objects_requested > 0
        assert [s.name for s in result.spawn_points] == ["entrance", "exit"]
        asked += quality.relations_requested
        kept += quality.relations_satisfied
    assert kept >= 0.8 * asked


def test_bsp_rooms_have_doors_and_entrance_reaches_exit():
    result = generate(dungeon(3, BSP, cells=64, skip_preview=True))
    rooms = [n for n in result.graph.nodes if n.tag == "room"]
    doors = [n for n in result.graph.nodes if n.tag == "door"]
    assert len(rooms) >= 8 and len(doors) >= len(rooms)
    assert {d.parent_id for d in doors} == {r.id for r in rooms}, "every room has a way in"
    cells = walk_cells(result)
    labels, _ = ndimage.label(cells)
    entrance, exit_ = (cell_of(result, s.position.x, s.position.z) for s in result.spawn_points)
    assert labels[entrance] == labels[exit_] != 0
    furniture = [n for n in result.graph.nodes if n.tag in {a.tag for a in default_catalog().assets}]
    assert all(n.parent_id.startswith("room-") or n.parent_id in {f.id for f in furniture} for n in furniture)


def test_unfurnished_dungeon_is_structure_only():
    result = generate(dungeon(1, CAVES, furnish=False, skip_preview=True))
    assert result.quality.objects_placed == 0 and result.quality.reachable_fraction == 1.0
    assert {n.tag for n in result.graph.nodes} == {"floor", "wall", "cave"}


def test_same_seed_same_bytes_and_glb_loads():
    first = generate(dungeon(5, BSP, cells=32))
    again = generate(dungeon(5, BSP, cells=32))
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    scene = load_glb(first.glb_preview)
    assert len(scene.graph.nodes_geometry) >= sum(1 for n in first.graph.nodes if n.tag in {"wall", "door"})


def test_a_128_cell_dungeon():
    result = generate(dungeon(2, BSP, cells=128, skip_preview=True))
    assert result.walkability.width == result.walkability.depth >= 128 * 3
    assert result.quality.reachable_fraction == 1.0 and result.quality.collisions == 0
