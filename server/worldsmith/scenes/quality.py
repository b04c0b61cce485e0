"""The quality report, measured on the finished scene graph and walk grid, not on solver bookkeeping."""

from __future__ import annotations

import math

import numpy as np

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes import relations as rel
from worldsmith.scenes.grid import components
from worldsmith.scenes.prompt_words import Named
from worldsmith.scenes.seating import SEAT_REACH

# Boxes that share a face (a lamp on a table, a crate against a wall) touch, they do not collide.
TOUCH_TOLERANCE = 1e-3
SOLID_STRUCTURE = frozenset({"wall", "door", "window"})


def _boxes(nodes: list[scene_pb2.SceneNode]) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([[n.bounds_min.x, n.bounds_min.y, n.bounds_min.z] for n in nodes], float).reshape(-1, 3)
    hi = np.array([[n.bounds_max.x, n.bounds_max.y, n.bounds_max.z] for n in nodes], float).reshape(-1, 3)
    return lo, hi


def _overlaps(lo_a, hi_a, lo_b, hi_b) -> np.ndarray:
    """(n, k): box i of A and box j of B share volume thicker than the tolerance on every axis."""
    inner = np.minimum(hi_a[:, None, :], hi_b[None, :, :]) - np.maximum(lo_a[:, None, :], lo_b[None, :, :])
    return np.all(inner > TOUCH_TOLERANCE, axis=-1)


def yaw_of(node: scene_pb2.SceneNode) -> float:
    q = node.transform.rotation
    return 2 * math.atan2(q.y, q.w)


def door_clear_zone(door: scene_pb2.SceneNode) -> tuple[np.ndarray, np.ndarray]:
    """The box `clearance_depth` deep in front of a door (its +Z side), as tall as the door."""
    width, height, thickness = door.properties["size"]
    reach = door.properties["clearance_depth"]
    yaw = yaw_of(door)
    front = np.array([math.sin(yaw), math.cos(yaw)])
    across = np.abs(np.array([front[1], front[0]])) * width / 2
    along = np.abs(front) * reach / 2
    p = door.transform.position
    centre = np.array([p.x, p.z]) + front * (thickness / 2 + reach / 2)
    lo, hi = centre - across - along, centre + across + along
    return np.array([lo[0], p.y, lo[1]]), np.array([hi[0], p.y + height, hi[1]])


def measure(nodes: list[scene_pb2.SceneNode], object_tags: set[str], walk: scene_pb2.WalkGrid,
            entrances: list[tuple[int, int]], extent_min, extent_max, objects_requested: int) -> scene_pb2.QualityReport:
    """Collisions, out-of-bounds objects, blocked doors, reachable floor and relations kept, from
    the nodes' boxes and the walk grid. Catalog assets are the objects; walls, doors and windows
    are what they may not cut into."""
    by_id = {n.id: n for n in nodes}
    objects = [n for n in nodes if n.tag in object_tags]
    solids = [n for n in nodes if n.tag in SOLID_STRUCTURE]
    lo, hi = _boxes(objects)
    s_lo, s_hi = _boxes(solids)

    # Collisions: object pairs counted once, plus objects cutting into walls, doors and windows.
    pairs = _overlaps(lo, hi, lo, hi)
    collisions = int(np.triu(pairs, k=1).sum()) + int(_overlaps(lo, hi, s_lo, s_hi).sum())

    # Out of bounds: outside the scene's extent, or outside the room or cave that holds it.
    outside = np.any(lo < np.asarray(extent_min) - TOUCH_TOLERANCE, axis=1) | np.any(hi > np.asarray(extent_max) + TOUCH_TOLERANCE, axis=1)
    for i, node in enumerate(objects):
        parent = by_id.get(node.parent_id)
        if parent is not None and "group" in parent.properties:
            p_lo, p_hi = _boxes([parent])
            outside[i] |= bool(np.any(lo[i] < p_lo[0] - TOUCH_TOLERANCE) or np.any(hi[i] > p_hi[0] + TOUCH_TOLERANCE))

    zones = [door_clear_zone(n) for n in nodes if n.tag == "door" and "clearance_depth" in n.properties]
    z_lo = np.array([z[0] for z in zones]).reshape(-1, 3)
    z_hi = np.array([z[1] for z in zones]).reshape(-1, 3)
    blocked = int(_overlaps(lo, hi, z_lo, z_hi).any(axis=0).sum())

    requested, satisfied = _relations(objects, by_tag={t: [n for n in objects if n.tag == t] for t in object_tags})

    return scene_pb2.QualityReport(
        collisions=collisions, out_of_bounds=int(outside.sum()), blocked_doors=blocked,
        reachable_fraction=_reachable_fraction(walk, entrances),
        relations_requested=requested, relations_satisfied=satisfied,
        objects_placed=len(objects), objects_requested=objects_requested,
    )


def _reachable_fraction(walk: scene_pb2.WalkGrid, entrances: list[tuple[int, int]]) -> float:
    cells = np.frombuffer(walk.cells, np.uint8).reshape(walk.depth, walk.width).astype(bool)
    total = int(cells.sum())
    if total == 0:
        return 0.0
    labels, _ = components(cells)
    reached = {int(labels[r, c]) for r, c in entrances} - {0}
    return float(np.isin(labels, list(reached)).sum()) / total if reached else 0.0


def _relations(objects: list[scene_pb2.SceneNode], by_tag: dict[str, list[scene_pb2.SceneNode]]) -> tuple[int, int]:
    requested = satisfied = 0
    for node in objects:
        if "relations" not in node.properties:
            continue
        centre = np.array([[(node.bounds_min.x + node.bounds_max.x) / 2, (node.bounds_min.z + node.bounds_max.z) / 2]])
        half = np.array([[(node.bounds_max.x - node.bounds_min.x) / 2, (node.bounds_max.z - node.bounds_min.z) / 2]])
        yaw = yaw_of(node)
        front = np.array([[math.sin(yaw), math.cos(yaw)]])
        for relation in node.properties["relations"]:
            requested += 1
            targets = [t for t in by_tag.get(relation["target"], []) if t.id != node.id]
            if not targets:
                continue
            t_lo, t_hi = _boxes(targets)
            t_centre = (t_lo[:, [0, 2]] + t_hi[:, [0, 2]]) / 2
            t_half = (t_hi[:, [0, 2]] - t_lo[:, [0, 2]]) / 2
            gap = rel.gaps(centre, half, t_centre, t_half)[0]
            if relation["kind"] == "near":
                ok = rel.near_holds(gap.min(), relation["distance"])
            elif relation["kind"] == "facing":
                ok = rel.facing_holds(rel.facing_cosines(centre, front, t_centre))[0]
            else:  # seated at the closest target: within reach, its front towards the target's footprint
                k = int(np.argmin(gap))
                ok = rel.near_holds(gap[k], SEAT_REACH) and rel.front_meets(centre, front, t_lo[[k]][:, [0, 2]], t_hi[[k]][:, [0, 2]])[0]
            satisfied += bool(ok)
    return requested, satisfied


def named_elements(nodes: list[scene_pb2.SceneNode], named: tuple[Named, ...], catalog_tags: set[str],
                   where: str) -> list[scene_pb2.NamedElement]:
    """Each element the prompt named, counted in the finished scene graph, with the reason when it falls short."""
    report = []
    for element in named:
        placed = sum(node.tag == element.tag for node in nodes)
        note = ""
        if not element.tag:
            note = f"no asset in the catalog is a {element.word!r}; add one with that tag to place it"
        elif element.tag not in catalog_tags:
            note = f"the catalog has no {element.tag!r} for {element.word!r}"
        elif placed < element.count:
            note = (f"only {placed} of {element.count} {element.word!r} fit in {where} without overlapping, "
                    f"blocking a door or cutting off part of the floor")
        report.append(scene_pb2.NamedElement(word=element.word, tag=element.tag, requested=element.count,
                                             placed=placed, note=note))
    return report
