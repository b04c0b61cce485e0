"""Terrain tiles: neighbours stitch, the heightmap and splat decode, scatter keeps its rules."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from tests.scenes.hard_rules import load_glb
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.scenes import generate
from worldsmith.scenes.catalog import default_catalog

SIDE, HEIGHT, RESOLUTION = 128.0, 40.0, 65


def tile(seed: int, tile_x: int = 0, tile_z: int = 0, prompt: str = "a forest", resolution: int = RESOLUTION, **fields):
    return scene_pb2.GenerateSceneRequest(
        kind=scene_pb2.SCENE_KIND_TERRAIN, prompt=prompt, seed=seed, bounds=common_pb2.Vec3(x=SIDE, y=HEIGHT, z=SIDE),
        terrain=scene_pb2.TerrainParameters(resolution=resolution, tile_x=tile_x, tile_z=tile_z, erosion_iterations=20), **fields)


def heights(result: scene_pb2.SceneResult) -> np.ndarray:
    n = result.heightmap.resolution
    return np.frombuffer(result.heightmap.raw_float32, "<f4").reshape(n, n)


def bilinear(a: np.ndarray, u: float, v: float) -> float:
    c, r = min(int(u), a.shape[1] - 2), min(int(v), a.shape[0] - 2)
    fu, fv = u - c, v - r
    return float((a[r, c] * (1 - fu) + a[r, c + 1] * fu) * (1 - fv) + (a[r + 1, c] * (1 - fu) + a[r + 1, c + 1] * fu) * fv)


def test_neighbouring_tiles_share_their_edges():
    centre = heights(generate(tile(9, 0, 0, skip_preview=True)))
    east = heights(generate(tile(9, 1, 0, skip_preview=True)))
    south = heights(generate(tile(9, 0, 1, skip_preview=True)))
    west = heights(generate(tile(9, -1, 0, skip_preview=True)))
    assert np.array_equal(centre[:, -1], east[:, 0])
    assert np.array_equal(centre[-1, :], south[0, :])
    assert np.array_equal(centre[:, 0], west[:, -1])
    # Not the same tile twice: the world goes on.
    assert not np.array_equal(centre, east)


def test_heightmap_png_and_splat_decode():
    result = generate(tile(3, skip_preview=True))
    h = heights(result)
    assert result.heightmap.resolution == RESOLUTION and math.isclose(result.heightmap.cell_size, SIDE / (RESOLUTION - 1), rel_tol=1e-6)
    assert 0 <= h.min() < h.max() <= HEIGHT
    png = Image.open(io.BytesIO(result.heightmap.png16))
    assert png.size == (RESOLUTION, RESOLUTION) and png.mode in ("I;16", "I")
    assert np.allclose(np.asarray(png, float) / 65535 * HEIGHT, h, atol=HEIGHT / 65535 + 1e-3)
    splat = np.asarray(Image.open(io.BytesIO(result.heightmap.splat_png)))
    assert splat.shape == (RESOLUTION, RESOLUTION, 4)
    assert np.all(splat.astype(int).sum(axis=-1) == 255)


def test_scatter_keeps_slope_height_and_spacing_rules():
    result = generate(tile(4, resolution=129, skip_preview=True))
    h = heights(result)
    cell = result.heightmap.cell_size
    slope = np.degrees(np.arctan(np.hypot(*np.gradient(h.astype(float), cell))))
    assets = {a.tag: a for a in default_catalog().assets}
    scattered = [n for n in result.graph.nodes if n.tag in assets]
    assert len(scattered) > 20
    assert result.quality.collisions == result.quality.out_of_bounds == 0
    points = []
    for node in scattered:
        p = node.transform.position
        rule = assets[node.tag]
        ground = bilinear(h, p.x / cell, p.z / cell)
        inside = all(1 <= v <= len(h) - 2 for v in (p.x / cell, p.z / cell))  # edge slopes use the neighbour tile
        assert not inside or bilinear(slope, p.x / cell, p.z / cell) <= rule.max_slope_degrees + 1e-3
        assert rule.min_height - 1e-4 <= ground / HEIGHT <= rule.max_height + 1e-4
        assert abs(p.y - ground) < 1e-3, "stands on the ground"
        assert 0 <= node.bounds_min.x and node.bounds_max.x <= SIDE and 0 <= node.bounds_min.z and node.bounds_max.z <= SIDE
        points.append((p.x, p.z))
    points = np.array(points)
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points)) * 1e9
    assert distances.min() >= result.recipe.parameters["terrain"]["scatter_spacing"] - 1e-3


def test_same_seed_same_bytes_and_terrain_glb_loads():
    first = generate(tile(6))
    assert first.SerializeToString(deterministic=True) == generate(tile(6)).SerializeToString(deterministic=True)
    scene = load_glb(first.glb_preview)
    assert "terrain-mesh" in scene.geometry
    mesh = scene.geometry["terrain-mesh"]
    assert len(mesh.vertices) == RESOLUTION * RESOLUTION
    assert mesh.bounds[1][1] <= HEIGHT + 1e-3


def test_walk_grid_and_spawn_on_the_ground():
    result = generate(tile(2, skip_preview=True))
    walk = result.walkability
    assert (walk.width, walk.depth) == (RESOLUTION, RESOLUTION)
    spawn = result.spawn_points[0]
    assert spawn.name == "spawn" and 0 <= spawn.position.x <= SIDE and 0 <= spawn.position.y <= HEIGHT
    assert 0.5 < result.quality.reachable_fraction <= 1.0


def water(result: scene_pb2.SceneResult) -> np.ndarray:
    n = result.heightmap.resolution
    return np.frombuffer(result.heightmap.water_float32, "<f4").reshape(n, n)


def test_a_river_and_a_lake_stitch_across_tiles_and_decode():
    tiles = {(x, z): generate(tile(9, x, z, prompt="rolling hills with a river and a lake", skip_preview=True))
             for x, z in ((0, 0), (1, 0), (0, 1))}
    centre, east, south = (heights(tiles[k]) for k in ((0, 0), (1, 0), (0, 1)))
    assert np.array_equal(centre[:, -1], east[:, 0]) and np.array_equal(centre[-1, :], south[0, :])
    assert np.array_equal(water(tiles[0, 0])[:, -1], water(tiles[1, 0])[:, 0]), "the river runs on into the next tile"
    result = tiles[0, 0]
    mask = np.asarray(Image.open(io.BytesIO(result.heightmap.water_png))) > 0
    assert np.array_equal(mask, water(result) > 0) and mask[:, 0].any() and mask[:, -1].any()
    kinds = sorted(n.properties["kind"] for n in result.graph.nodes if n.tag == "water")
    assert kinds == ["lake", "river"]
    assert [(e.tag, e.placed) for e in result.quality.named_elements] == [("rolling", 1), ("river", 1), ("lake", 1)]
    wet = water(result) > 0
    assert np.all(heights(result)[wet] < water(result)[wet]), "the bed lies under the water"
