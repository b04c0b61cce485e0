"""What every generator hands back (nodes, walkability, spawn points), and the helpers they share."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes.grid import FloorGrid
from worldsmith.scenes.nodes import box_node, quarter_turn_yaw
from worldsmith.scenes.solver import Instance, Placed
from worldsmith.scenes.spec import SceneSpec


@dataclass
class SceneParts:
    nodes: list[scene_pb2.SceneNode]
    walk: scene_pb2.WalkGrid
    spawn_points: list[scene_pb2.SpawnPoint]
    entrances: list[tuple[int, int]]            # walk-grid cells reachability is measured from
    extent_min: tuple[float, float, float]
    extent_max: tuple[float, float, float]
    objects_requested: int
    heightmap: scene_pb2.Heightmap | None = None
    terrain_mesh: tuple[np.ndarray, np.ndarray] | None = None  # preview: vertices, faces
    # Interiors and dungeons promise the hard rules; terrain scatter only reports.
    hard_rules: bool = True
    parameters: dict = field(default_factory=dict)  # resolved generator parameters, for the recipe
    # What the generator itself made of the prompt's words (a terrain's river, its rolling hills).
    named_elements: list[scene_pb2.NamedElement] = field(default_factory=list)


def object_nodes(placed: list[Placed], parent_id: str, counters: Counter | None = None) -> list[scene_pb2.SceneNode]:
    """Nodes for solver output: ids are the tag and a running number; on-top assets are children of
    what they stand on."""
    counters = Counter() if counters is None else counters
    ids: dict[int, str] = {}
    nodes = []
    for p in placed:
        node_id = f"{p.tag}-{counters[p.tag]}"
        counters[p.tag] += 1
        ids[id(p)] = node_id
        size = p.instance.asset.size
        properties = {}
        if p.instance.relations:
            properties["relations"] = [{"kind": r.kind, "target": r.target, "distance": r.near_distance if r.kind == "near" else 0.0}
                                       for r in p.instance.relations]
        nodes.append(box_node(node_id, p.tag, (p.x, p.y, p.z), (size.x, size.y, size.z),
                              yaw=quarter_turn_yaw(p.quarter_turns),
                              parent_id=ids[id(p.support)] if p.support is not None else parent_id,
                              properties=properties))
    return nodes


def refuse_missing_required(spec: SceneSpec, left_out: list[Instance], where: str) -> None:
    """The catalog's min_count is a promise: name every asset that could not keep it."""
    missing = Counter(instance.tag for instance in left_out if instance.required)
    if not missing:
        return
    violations = []
    for tag, count in sorted(missing.items()):
        asset = spec.assets[tag]
        violations.append((f"catalog.assets[{spec.catalog_index(tag)}].min_count",
                           f"{asset.min_count} {tag!r} are required but only {asset.min_count - count} fit in {where} "
                           f"without overlapping, blocking a door or cutting off part of the floor; "
                           f"lower min_count or enlarge bounds"))
    raise InvalidArgument.many(violations)


def walk_grid(grid: FloorGrid, walkable: np.ndarray) -> scene_pb2.WalkGrid:
    return scene_pb2.WalkGrid(origin=common_pb2.Vec3(x=grid.x0, y=0.0, z=grid.z0), cell_size=grid.cell,
                              width=grid.cols, depth=grid.rows, cells=walkable.astype(np.uint8).tobytes())


def spawn_point(name: str, grid: FloorGrid, cell: tuple[int, int], y: float = 0.0) -> scene_pb2.SpawnPoint:
    x, z = grid.centre_of(*cell)
    return scene_pb2.SpawnPoint(name=name, position=common_pb2.Vec3(x=x, y=y, z=z))
