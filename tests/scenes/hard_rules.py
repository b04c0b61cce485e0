"""Independent checks of a returned scene: every box is rebuilt with trimesh from the node's
transform and the catalog's footprint, never read from the solver's bookkeeping."""

from __future__ import annotations

import io

import numpy as np
import trimesh
from scipy import ndimage

from worldsmith._proto.worldsmith.v1 import scene_pb2

# Boxes sharing a face touch; a millimetre of float32 rounding is not a collision.
TOLERANCE = 1e-3
SOLID = {"wall", "door", "window"}


def box_of(node: scene_pb2.SceneNode, size) -> trimesh.Trimesh:
    """The node's box: `size`, standing on its position (pivot at the bottom centre), turned by its rotation."""
    box = trimesh.creation.box(extents=size)
    box.apply_translation((0.0, size[1] / 2, 0.0))
    box.apply_transform(_matrix(node))
    return box


def rebuilt_bounds(result: scene_pb2.SceneResult, catalog: scene_pb2.AssetCatalog) -> dict[str, np.ndarray]:
    """World bounds of every node's box; catalog assets use the catalog's size, rebuilt as trimesh
    boxes; structure (hundreds of wall blocks) as the same eight corners through the same matrix."""
    sizes = {a.tag: (a.size.x, a.size.y, a.size.z) for a in catalog.assets}
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (0.0, 1.0) for z in (-0.5, 0.5)])
    bounds = {}
    for node in result.graph.nodes:
        size = sizes.get(node.tag, tuple(node.properties["size"]))
        if min(size) <= 0:  # the floor and corridor markers are flat
            continue
        if node.tag in sizes:
            bounds[node.id] = box_of(node, size).bounds
            continue
        points = trimesh.transform_points(corners * size, _matrix(node))
        bounds[node.id] = np.array([points.min(axis=0), points.max(axis=0)])
    return bounds


def _matrix(node: scene_pb2.SceneNode) -> np.ndarray:
    q, p = node.transform.rotation, node.transform.position
    matrix = trimesh.transformations.quaternion_matrix((q.w, q.x, q.y, q.z))
    matrix[:3, 3] = (p.x, p.y, p.z)
    return matrix


def overlap(a: np.ndarray, b: np.ndarray) -> bool:
    inner = np.minimum(a[1], b[1]) - np.maximum(a[0], b[0])
    return bool(np.all(inner > TOLERANCE))


def overlapping(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Which of `others` (k, 2, 3) share volume with `box` (2, 3)."""
    inner = np.minimum(box[1], others[:, 1]) - np.maximum(box[0], others[:, 0])
    return np.all(inner > TOLERANCE, axis=1)


def door_clear_zone(door: scene_pb2.SceneNode) -> np.ndarray:
    """The box `clearance_depth` deep in front (+Z) of a door, rebuilt from its transform."""
    width, height, thickness = door.properties["size"]
    depth = door.properties["clearance_depth"]
    zone = trimesh.creation.box(extents=(width, height, depth))
    zone.apply_translation((0.0, height / 2, thickness / 2 + depth / 2))
    zone.apply_transform(_matrix(door))
    return zone.bounds


def assert_hard_rules(result: scene_pb2.SceneResult, catalog: scene_pb2.AssetCatalog, extent) -> None:
    """No overlaps, everything inside the scene and its room, doors clear, the floor one walkable piece."""
    tags = {a.tag for a in catalog.assets}
    nodes = {n.id: n for n in result.graph.nodes}
    bounds = rebuilt_bounds(result, catalog)
    objects = [i for i, n in nodes.items() if n.tag in tags]
    solids = [i for i, n in nodes.items() if n.tag in SOLID]
    lo, hi = np.asarray(extent[0], float), np.asarray(extent[1], float)

    for k, a in enumerate(objects):
        box = bounds[a]
        # Quarter turns only: the rebuilt box is axis-aligned and matches the node's own bounds.
        node = nodes[a]
        assert np.isclose(np.prod(box[1] - box[0]), np.prod(list(node.properties["size"])), rtol=1e-4), f"{a} is not axis-aligned"
        assert np.allclose(box[0], [node.bounds_min.x, node.bounds_min.y, node.bounds_min.z], atol=TOLERANCE)
        assert np.allclose(box[1], [node.bounds_max.x, node.bounds_max.y, node.bounds_max.z], atol=TOLERANCE)
        assert np.all(box[0] >= lo - TOLERANCE) and np.all(box[1] <= hi + TOLERANCE), f"{a} leaves the scene: {box}"
        parent = nodes.get(node.parent_id)
        if parent is not None and "group" in parent.properties:
            p_lo = np.array([parent.bounds_min.x, parent.bounds_min.y, parent.bounds_min.z])
            p_hi = np.array([parent.bounds_max.x, parent.bounds_max.y, parent.bounds_max.z])
            assert np.all(box[0] >= p_lo - TOLERANCE) and np.all(box[1] <= p_hi + TOLERANCE), f"{a} leaves {parent.id}"
        others = objects[k + 1:] + solids
        hits = overlapping(box, np.array([bounds[b] for b in others]).reshape(-1, 2, 3))
        assert not hits.any(), f"{a} overlaps {[b for b, hit in zip(others, hits) if hit]}"
    object_boxes = np.array([bounds[a] for a in objects]).reshape(-1, 2, 3)
    for door in (n for n in nodes.values() if n.tag == "door" and "clearance_depth" in n.properties):
        hits = overlapping(door_clear_zone(door), object_boxes)
        assert not hits.any(), f"{[a for a, hit in zip(objects, hits) if hit]} stand in front of {door.id}"
    assert_walkable(result, catalog)


def walk_cells(result: scene_pb2.SceneResult) -> np.ndarray:
    walk = result.walkability
    return np.frombuffer(walk.cells, np.uint8).reshape(walk.depth, walk.width).astype(bool)


def cell_of(result: scene_pb2.SceneResult, x: float, z: float) -> tuple[int, int]:
    walk = result.walkability
    return int((z - walk.origin.z) / walk.cell_size), int((x - walk.origin.x) / walk.cell_size)


def assert_walkable(result: scene_pb2.SceneResult, catalog: scene_pb2.AssetCatalog) -> None:
    """The walk grid is one 4-connected piece holding every spawn point, and no walkable cell's
    centre lies under an object that stands on the floor."""
    cells = walk_cells(result)
    labels, count = ndimage.label(cells)
    assert count == 1, f"the walkable floor is in {count} pieces"
    for spawn in result.spawn_points:
        r, c = cell_of(result, spawn.position.x, spawn.position.z)
        assert cells[r, c], f"spawn point {spawn.name} is not walkable"
    walk = result.walkability
    tags = {a.tag for a in catalog.assets}
    bounds = rebuilt_bounds(result, catalog)
    xs = walk.origin.x + (np.arange(walk.width) + 0.5) * walk.cell_size
    zs = walk.origin.z + (np.arange(walk.depth) + 0.5) * walk.cell_size
    for node in result.graph.nodes:
        if node.tag not in tags or node.id not in bounds:
            continue
        box = bounds[node.id]
        if box[0][1] > 0.3 or box[1][1] - box[0][1] <= 0.05:  # on top of furniture, or flat like a rug
            continue
        cols = (xs > box[0][0]) & (xs < box[1][0])
        rows = (zs > box[0][2]) & (zs < box[1][2])
        assert not cells[np.ix_(rows, cols)].any(), f"the walk grid lets agents through {node.id}"


def load_glb(data: bytes) -> trimesh.Scene:
    return trimesh.load(io.BytesIO(data), file_type="glb")
