"""Dungeon generator: BSP rooms joined by corridors, or cellular-automata caves; always connected,
rooms furnished by the layout solver."""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import ndimage

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes.catalog import ON_TOP_OF
from worldsmith.scenes.grid import FloorGrid, components, standable
from worldsmith.scenes.nodes import box_node, group_node, quarter_turn_yaw
from worldsmith.scenes.parts import SceneParts, object_nodes, refuse_missing_required, spawn_point, walk_grid
from worldsmith.scenes.plan import Plan
from worldsmith.scenes.solver import Floor, Instance, LayoutSolver, instances_for
from worldsmith.scenes.spec import SceneSpec

# The walk grid splits each dungeon cell into sub-cells no larger than this (at least 3 per cell,
# so a one-cell corridor stays walkable), up to MAX_FINE_CELLS a side.
FINE_CELL, MIN_SUBCELLS, MAX_FINE_CELLS = 0.5, 3, 2048
DOOR_THICKNESS, DOOR_HEIGHT, DOOR_CLEARANCE = 0.1, 2.1, 1.0
SPAWN_CLEARANCE = 1.0
CAVE_FILL, CAVE_STEPS, CAVE_MIN_FLOOR, CAVE_TRIES = 0.45, 5, 0.25, 20
# A quarter-turned front as (x, z).
_FRONTS = {0: (0, 1), 1: (1, 0), 2: (0, -1), 3: (-1, 0)}


@dataclass(frozen=True)
class Rect:
    """Cells [c0, c1) x [r0, r1) of the dungeon grid (columns follow +X, rows +Z)."""

    c0: int
    r0: int
    c1: int
    r1: int

    @property
    def width(self) -> int:
        return self.c1 - self.c0

    @property
    def depth(self) -> int:
        return self.r1 - self.r0

    @property
    def centre(self) -> tuple[int, int]:
        return (self.r0 + self.r1) // 2, (self.c0 + self.c1) // 2


@dataclass(frozen=True)
class Doorway:
    """A run of open cells along one side of a room: where a corridor comes in."""

    room: int
    quarter_turns: int        # the door's front faces into the room
    cells: tuple[int, int, int, int]  # c0, r0, c1, r1 of the run, outside the room


def generate_dungeon(spec: SceneSpec, plan: Plan, progress: Callable[[str, int, int], None],
                     check_stop: Callable[[], None]) -> SceneParts:
    params = spec.dungeon
    rng = np.random.default_rng([spec.seed, 2])
    cell, height = params.cell_size, spec.height
    width_m, depth_m = params.width_cells * cell, params.depth_cells * cell

    # 1. The layout on the cell grid: True is floor.
    progress("layout", 0, 1)
    if params.algorithm == "bsp":
        tree = bsp_tree(params.width_cells, params.depth_cells, params.min_room_cells, rng)
        rooms = rooms_of(tree)
        floor_cells = carve_rooms_and_corridors(tree, params.width_cells, params.depth_cells, rng)
    else:
        rooms = []
        floor_cells = cellular_caves(params.width_cells, params.depth_cells, rng)
    progress("layout", 1, 1)
    check_stop()

    # 2. Structure: one floor, walls over all rock; corridors, rooms and their doors, or the cave.
    nodes = [box_node("floor", "floor", (width_m / 2, 0.0, depth_m / 2), (width_m, 0.0, depth_m))]
    nodes += [_cell_box(f"wall-{i}", "wall", r, cell, height) for i, r in enumerate(merged_rectangles(~floor_cells))]
    doorways = [d for i, room in enumerate(rooms) for d in _doorways(i, room, floor_cells)]
    doors = [_door_node(f"door-{i}", d, rooms[d.room], cell, height) for i, d in enumerate(doorways)]
    if rooms:
        in_room = np.zeros_like(floor_cells)
        for room in rooms:
            in_room[room.r0:room.r1, room.c0:room.c1] = True
        nodes += [_cell_box(f"corridor-{i}", "corridor", r, cell, 0.0)
                  for i, r in enumerate(merged_rectangles(floor_cells & ~in_room))]
        nodes += [group_node(f"room-{i}", "room", (room.c0 * cell, 0.0, room.r0 * cell), (room.c1 * cell, height, room.r1 * cell),
                             properties={"index": i}) for i, room in enumerate(rooms)]
        nodes += doors
    else:
        nodes.append(group_node("cave", "cave", (0.0, 0.0, 0.0), (width_m, height, depth_m)))

    # 3. Spawn points: the entrance near the grid's west edge, the exit as far away as walking goes.
    entrance_cell = _entrance_cell(floor_cells, rooms)
    exit_cell = _farthest_cell(floor_cells, entrance_cell, rooms)

    # 4. The walk grid: sub-cells of the dungeon grid.
    sub = max(MIN_SUBCELLS, math.ceil(cell / FINE_CELL - 1e-6))
    sub = max(MIN_SUBCELLS, min(sub, MAX_FINE_CELLS // max(params.width_cells, params.depth_cells)))
    fine = FloorGrid(0.0, 0.0, cell / sub, params.width_cells * sub, params.depth_cells * sub)
    fine_floor = np.kron(floor_cells, np.ones((sub, sub), bool))
    blocking = np.zeros(fine.shape, bool)
    spawn_fine = [_fine_centre(entrance_cell, sub), _fine_centre(exit_cell, sub)]

    # 5. Furnish: rooms one by one (or the whole cave), the solver keeping every doorway reachable.
    placed_nodes = []
    if plan.items:
        check_stop()
        instances = instances_for(plan.items, spec.assets)
        doors_of: list[list[tuple[Doorway, scene_pb2.SceneNode]]] = [[] for _ in rooms]
        for doorway, door in zip(doorways, doors):
            doors_of[doorway.room].append((doorway, door))
        floors = ([_room_floor(room, doors_of[i], fine, fine_floor, sub, height, spawn_fine) for i, room in enumerate(rooms)]
                  if rooms else [_cave_floor(fine, fine_floor, height, spawn_fine)])
        solvers = [LayoutSolver(f, rng, check_stop) for f, _ in floors]
        left_out = _furnish(solvers, [f for f, _ in floors], instances, rng, progress)
        where = f"the rooms of this {params.width_cells} x {params.depth_cells} dungeon" if rooms else "this cave"
        refuse_missing_required(spec, left_out, where)
        counters: Counter = Counter()
        for k, (solver, (_, offset)) in enumerate(zip(solvers, floors)):
            placed_nodes += object_nodes(solver.placed, parent_id=f"room-{k}" if rooms else "cave", counters=counters)
            r0, c0 = offset
            rows, cols = solver.blocking.shape
            blocking[r0:r0 + rows, c0:c0 + cols] |= solver.blocking
    nodes += placed_nodes

    walkable = standable(fine_floor & ~blocking, fine.agent_radius_cells())
    return SceneParts(
        nodes=nodes,
        walk=walk_grid(fine, walkable),
        spawn_points=[spawn_point("entrance", fine, spawn_fine[0]), spawn_point("exit", fine, spawn_fine[1])],
        entrances=spawn_fine,
        extent_min=(0.0, 0.0, 0.0), extent_max=(width_m, height, depth_m),
        objects_requested=plan.total,
        parameters={"rooms": len(rooms), "floor_cells": int(floor_cells.sum()), "walk_cell_size": fine.cell},
    )


# -- layouts ---------------------------------------------------------------------------

def bsp_tree(width: int, depth: int, min_room: int, rng: np.random.Generator):
    """Split the grid in two again and again (binary space partition) while both halves can hold
    a room with a cell of rock around it, then put one room in each leaf. Returns the tree: a
    leaf is a Rect (the room), a split is a (left, right) pair."""
    min_leaf = min_room + 2

    def split(leaf: Rect):
        can_cut_x, can_cut_z = leaf.width >= 2 * min_leaf, leaf.depth >= 2 * min_leaf
        if not (can_cut_x or can_cut_z):
            w = int(rng.integers(min_room, leaf.width - 2 + 1))
            d = int(rng.integers(min_room, leaf.depth - 2 + 1))
            c0 = leaf.c0 + 1 + int(rng.integers(0, leaf.width - 2 - w + 1))
            r0 = leaf.r0 + 1 + int(rng.integers(0, leaf.depth - 2 - d + 1))
            return Rect(c0, r0, c0 + w, r0 + d)
        if can_cut_x and can_cut_z:
            ratio = leaf.width / leaf.depth
            cut_x = ratio > 1.25 or (ratio >= 0.8 and bool(rng.integers(0, 2)))
        else:
            cut_x = can_cut_x
        if cut_x:
            at = leaf.c0 + int(rng.integers(min_leaf, leaf.width - min_leaf + 1))
            return split(Rect(leaf.c0, leaf.r0, at, leaf.r1)), split(Rect(at, leaf.r0, leaf.c1, leaf.r1))
        at = leaf.r0 + int(rng.integers(min_leaf, leaf.depth - min_leaf + 1))
        return split(Rect(leaf.c0, leaf.r0, leaf.c1, at)), split(Rect(leaf.c0, at, leaf.c1, leaf.r1))

    return split(Rect(0, 0, width, depth))


def rooms_of(tree) -> list[Rect]:
    return [tree] if isinstance(tree, Rect) else rooms_of(tree[0]) + rooms_of(tree[1])


def carve_rooms_and_corridors(tree, width: int, depth: int, rng: np.random.Generator) -> np.ndarray:
    """Rooms, then one L-shaped corridor per split of the tree, joining the closest rooms of its two
    halves: a spanning tree, so every room is reachable from every other."""
    floor = np.zeros((depth, width), bool)
    for room in rooms_of(tree):
        floor[room.r0:room.r1, room.c0:room.c1] = True

    def join(node) -> list[Rect]:
        """Join the two halves of `node`; return its rooms."""
        if isinstance(node, Rect):
            return [node]
        left, right = join(node[0]), join(node[1])
        a_centres = np.array([room.centre for room in left])
        b_centres = np.array([room.centre for room in right])
        steps = np.abs(a_centres[:, None, :] - b_centres[None, :, :]).sum(axis=-1)
        i, j = np.unravel_index(int(np.argmin(steps)), steps.shape)
        (ra, ca), (rb, cb) = left[i].centre, right[j].centre
        if rng.integers(0, 2):
            floor[ra, min(ca, cb):max(ca, cb) + 1] = True
            floor[min(ra, rb):max(ra, rb) + 1, cb] = True
        else:
            floor[min(ra, rb):max(ra, rb) + 1, ca] = True
            floor[rb, min(ca, cb):max(ca, cb) + 1] = True
        return left + right

    join(tree)
    return floor


def cellular_caves(width: int, depth: int, rng: np.random.Generator) -> np.ndarray:
    """Random rock, smoothed by the 4-5 rule (a cell turns rock with five or more rock cells among
    its nine), then only the largest 4-connected cave kept so it is one piece."""
    kernel = np.ones((3, 3), int)
    for _ in range(CAVE_TRIES):
        rock = rng.random((depth, width)) < CAVE_FILL
        for _ in range(CAVE_STEPS):
            rock = ndimage.convolve(rock.astype(int), kernel, mode="constant", cval=1) >= 5
        rock[[0, -1], :] = True
        rock[:, [0, -1]] = True
        labels, count = components(~rock)
        if count == 0:
            continue
        sizes = np.bincount(labels.ravel())[1:]
        cave = labels == 1 + int(np.argmax(sizes))
        if cave.sum() >= CAVE_MIN_FLOOR * width * depth:
            return cave
    raise RuntimeError("cellular caves stayed too small; the fill ratio is wrong")


def merged_rectangles(mask: np.ndarray) -> list[Rect]:
    """Cover the True cells with few rectangles: grow each run to the right, then downwards."""
    todo = mask.copy()
    rects = []
    depth, width = mask.shape
    for r in range(depth):
        c = 0
        while c < width:
            if not todo[r, c]:
                c += 1
                continue
            c1 = c
            while c1 < width and todo[r, c1]:
                c1 += 1
            r1 = r + 1
            while r1 < depth and todo[r1, c:c1].all():
                r1 += 1
            todo[r:r1, c:c1] = False
            rects.append(Rect(c, r, c1, r1))
            c = c1
    return rects


# -- structure nodes -------------------------------------------------------------------

def _cell_box(node_id: str, tag: str, r: Rect, cell: float, height: float) -> scene_pb2.SceneNode:
    x0, x1, z0, z1 = r.c0 * cell, r.c1 * cell, r.r0 * cell, r.r1 * cell
    return box_node(node_id, tag, ((x0 + x1) / 2, 0.0, (z0 + z1) / 2), (x1 - x0, height, z1 - z0))


def _doorways(index: int, room: Rect, floor: np.ndarray) -> list[Doorway]:
    """Runs of open cells just outside each side of a room."""
    depth, width = floor.shape
    sides = [  # (quarter turns into the room, cells outside the side as (row, col) lists)
        (0, [(room.r0 - 1, c) for c in range(room.c0, room.c1)]),
        (2, [(room.r1, c) for c in range(room.c0, room.c1)]),
        (1, [(r, room.c0 - 1) for r in range(room.r0, room.r1)]),
        (3, [(r, room.c1) for r in range(room.r0, room.r1)]),
    ]
    doorways = []
    for q, cells in sides:
        run: list[tuple[int, int]] = []
        for r, c in cells + [(-1, -1)]:
            if 0 <= r < depth and 0 <= c < width and floor[r, c]:
                run.append((r, c))
                continue
            if run:
                rows, cols = [p[0] for p in run], [p[1] for p in run]
                doorways.append(Doorway(index, q, (min(cols), min(rows), max(cols) + 1, max(rows) + 1)))
                run = []
    return doorways


def _door_node(node_id: str, doorway: Doorway, room: Rect, cell: float, height: float) -> scene_pb2.SceneNode:
    """A door across the doorway, just outside the room, its front facing in."""
    c0, r0, c1, r1 = doorway.cells
    q = doorway.quarter_turns
    if q in (0, 2):
        z = room.r0 * cell - DOOR_THICKNESS / 2 if q == 0 else room.r1 * cell + DOOR_THICKNESS / 2
        centre, width = ((c0 + c1) / 2 * cell, z), (c1 - c0) * cell
        reach = min(DOOR_CLEARANCE, room.depth * cell / 2)
    else:
        x = room.c0 * cell - DOOR_THICKNESS / 2 if q == 1 else room.c1 * cell + DOOR_THICKNESS / 2
        centre, width = (x, (r0 + r1) / 2 * cell), (r1 - r0) * cell
        reach = min(DOOR_CLEARANCE, room.width * cell / 2)
    return box_node(node_id, "door", (centre[0], 0.0, centre[1]), (width, min(DOOR_HEIGHT, height), DOOR_THICKNESS),
                    yaw=quarter_turn_yaw(q), parent_id=f"room-{doorway.room}",
                    properties={"clearance_depth": reach})


# -- spawn points ----------------------------------------------------------------------

def _entrance_cell(floor: np.ndarray, rooms: list[Rect]) -> tuple[int, int]:
    """The centre of the room nearest the west edge's middle, or the cave floor cell nearest it."""
    depth = floor.shape[0]
    if rooms:
        return min((r.centre for r in rooms), key=lambda rc: (rc[1], abs(rc[0] - depth // 2)))
    rows, cols = np.nonzero(floor)
    i = int(np.argmin(cols * 4 + np.abs(rows - depth // 2)))
    return int(rows[i]), int(cols[i])


def _farthest_cell(floor: np.ndarray, start: tuple[int, int], rooms: list[Rect]) -> tuple[int, int]:
    """The room centre (or cave cell) the longest walk away from `start`, by breadth-first search."""
    distance = np.full(floor.shape, -1, int)
    distance[start] = 0
    queue = deque([start])
    depth, width = floor.shape
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < depth and 0 <= nc < width and floor[nr, nc] and distance[nr, nc] < 0:
                distance[nr, nc] = distance[r, c] + 1
                queue.append((nr, nc))
    if rooms:
        return max((r.centre for r in rooms), key=lambda rc: (distance[rc], -rc[0], -rc[1]))
    return tuple(int(v) for v in np.unravel_index(int(np.argmax(distance)), distance.shape))


def _fine_centre(cell: tuple[int, int], sub: int) -> tuple[int, int]:
    return cell[0] * sub + sub // 2, cell[1] * sub + sub // 2


# -- furnishing ------------------------------------------------------------------------

def _room_floor(room: Rect, doors: list[tuple[Doorway, scene_pb2.SceneNode]], fine: FloorGrid, fine_floor: np.ndarray,
                sub: int, ceiling: float, spawns: list[tuple[int, int]]) -> tuple[Floor, tuple[int, int]]:
    """The solver's view of one room: its cells plus a ring of one dungeon cell, where the room's
    doorways are open and everything else is wall."""
    r0, c0 = (room.r0 - 1) * sub, (room.c0 - 1) * sub
    r1, c1 = (room.r1 + 1) * sub, (room.c1 + 1) * sub
    grid = FloorGrid(c0 * fine.cell, r0 * fine.cell, fine.cell, c1 - c0, r1 - r0)
    placeable = np.zeros(grid.shape, bool)
    placeable[sub:-sub, sub:-sub] = True
    passable = placeable.copy()
    reserved = np.zeros(grid.shape, bool)
    entrances = []
    step = (grid.agent_radius_cells() + 1.5) * fine.cell
    for doorway, door in doors:
        dc0, dr0, dc1, dr1 = doorway.cells
        passable[dr0 * sub - r0:dr1 * sub - r0, dc0 * sub - c0:dc1 * sub - c0] = True
        lo, hi = _clear_zone(door, doorway.quarter_turns)
        reserved[grid.cells_under(lo[0], hi[0], lo[1], hi[1])] = True
        fx, fz = _FRONTS[doorway.quarter_turns]
        p = door.transform.position
        entrances.append(grid.cell_at(p.x + fx * (DOOR_THICKNESS / 2 + step), p.z + fz * (DOOR_THICKNESS / 2 + step)))
    for spawn in spawns:
        local = (spawn[0] - r0, spawn[1] - c0)
        if sub <= local[0] < grid.rows - sub and sub <= local[1] < grid.cols - sub:
            x, z = grid.centre_of(*local)
            reserved[grid.cells_under(x - SPAWN_CLEARANCE, x + SPAWN_CLEARANCE, z - SPAWN_CLEARANCE, z + SPAWN_CLEARANCE)] = True
            entrances.append(local)
    cell = fine.cell * sub
    floor = Floor(grid=grid, placeable=placeable, passable=passable, wall=~fine_floor[r0:r1, c0:c1],
                  window=np.zeros(grid.shape, bool), reserved=reserved & placeable, entrances=entrances,
                  centre=((room.c0 + room.c1) / 2 * cell, (room.r0 + room.r1) / 2 * cell), ceiling=ceiling)
    return floor, (r0, c0)


def _clear_zone(door: scene_pb2.SceneNode, q: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x, z) corners of the rectangle a door keeps clear inside its room."""
    width, _, thickness = door.properties["size"]
    reach = door.properties["clearance_depth"]
    p = door.transform.position
    fx, fz = _FRONTS[q]
    near = (p.x + fx * thickness / 2, p.z + fz * thickness / 2)
    far = (near[0] + fx * reach, near[1] + fz * reach)
    half_x, half_z = (abs(fz) * width / 2, abs(fx) * width / 2)
    return ((min(near[0], far[0]) - half_x, min(near[1], far[1]) - half_z),
            (max(near[0], far[0]) + half_x, max(near[1], far[1]) + half_z))


def _cave_floor(fine: FloorGrid, fine_floor: np.ndarray, ceiling: float, spawns: list[tuple[int, int]]) -> tuple[Floor, tuple[int, int]]:
    reserved = np.zeros(fine.shape, bool)
    for spawn in spawns:
        x, z = fine.centre_of(*spawn)
        reserved[fine.cells_under(x - SPAWN_CLEARANCE, x + SPAWN_CLEARANCE, z - SPAWN_CLEARANCE, z + SPAWN_CLEARANCE)] = True
    floor = Floor(grid=fine, placeable=fine_floor, passable=fine_floor, wall=~fine_floor, window=np.zeros(fine.shape, bool),
                  reserved=reserved & fine_floor, entrances=list(spawns),
                  centre=(fine.cols * fine.cell / 2, fine.rows * fine.cell / 2), ceiling=ceiling)
    return floor, (0, 0)


def _furnish(solvers: list[LayoutSolver], floors: list[Floor], instances: list[Instance], rng: np.random.Generator,
             progress: Callable[[str, int, int], None]) -> list[Instance]:
    """Deal the plan's objects out to rooms by free floor, keeping an object with what it relates
    to or stands on where such a room exists; solve each room; offer what did not fit to the
    roomiest others."""
    free = np.array([f.placeable.sum() * f.grid.cell ** 2 for f in floors], float)
    dealt: list[list[Instance]] = [[] for _ in floors]
    tags_in: list[set[str]] = [set() for _ in floors]
    for instance in instances:
        asset = instance.asset
        wanted = {asset.on_top_of} if asset.placement == ON_TOP_OF else {r.target for r in instance.relations}
        together = np.array([bool(wanted) and wanted <= tags for tags in tags_in])
        weight = np.maximum(free, 0.01) * (together if together.any() else 1.0)
        k = int(rng.choice(len(floors), p=weight / weight.sum()))
        dealt[k].append(instance)
        tags_in[k].add(instance.tag)
        # Each object takes its footprint and about as much again to walk round it.
        free[k] -= 2 * asset.size.x * (asset.size.z + asset.clearance_front) if asset.placement != ON_TOP_OF else 0.0
    left_out = []
    for k, (solver, share) in enumerate(zip(solvers, dealt)):
        left_out += solver.place_all(share)
        progress("furnish", k + 1, len(solvers))
    for k in np.argsort(-free, kind="stable")[:8]:
        if not left_out:
            break
        left_out = solvers[k].place_all(left_out)
    return left_out
