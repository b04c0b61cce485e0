"""Interior generator: a room with doors and windows, furnished by the layout solver."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes.grid import FloorGrid
from worldsmith.scenes.nodes import box_node, group_node, quarter_turn_yaw
from worldsmith.scenes.parts import SceneParts, object_nodes, refuse_missing_required, spawn_point, walk_grid
from worldsmith.scenes.plan import WALL_THICKNESS, Plan
from worldsmith.scenes.solver import SILL_HEIGHT, Floor, LayoutSolver, instances_for
from worldsmith.scenes.spec import DOOR_HEIGHT, DOOR_WIDTH, SceneSpec

CELL = 0.1
DOOR_CLEARANCE = 1.0
CORNER_GAP = 0.3        # wall kept beside every opening
WINDOW_WIDTH, WINDOW_TOP = 1.2, 2.1
SLOT = 0.05             # openings are placed on this step along a wall

# Walls by side: (name, quarter turns of the inward front). South runs along x at z = 0.
SIDES = (("south", 0), ("north", 2), ("west", 1), ("east", 3))


@dataclass(frozen=True)
class Opening:
    kind: str      # "door" | "window"
    side: int      # index into SIDES
    start: float   # metres along the wall's inner length, from its low end
    width: float


def generate_interior(spec: SceneSpec, plan: Plan, progress: Callable[[str, int, int], None],
                      check_stop: Callable[[], None]) -> SceneParts:
    rng = np.random.default_rng([spec.seed, 1])
    width, height, depth = spec.width, spec.height, spec.depth

    # 1. The shell: doors first (the first is the entrance), then windows, on free stretches of wall.
    progress("shell", 0, 1)
    openings = _place_openings(spec, rng)
    nodes = [group_node("room", "room", (0.0, 0.0, 0.0), (width, height, depth)),
             box_node("floor", "floor", (width / 2, 0.0, depth / 2), (width, 0.0, depth), parent_id="room")]
    nodes += _walls_and_openings(openings, width, height, depth)
    progress("shell", 1, 1)

    # 2. The floor the solver sees: what walls, doors and windows leave.
    floor = _floor_of(nodes, width, height, depth)

    # 3. Furnish: the solver keeps the hard rules; the plan's relations steer it.
    check_stop()
    solver = LayoutSolver(floor, rng, check_stop)
    instances = instances_for(plan.items, spec.assets)
    left_out = solver.place_all(instances, lambda step, total: progress("layout", step, total))
    refuse_missing_required(spec, left_out, f"a {width:g} x {depth:g} m room")
    nodes += object_nodes(solver.placed, parent_id="room")

    return SceneParts(
        nodes=nodes,
        walk=walk_grid(floor.grid, solver.walkable()),
        spawn_points=[spawn_point("entrance", floor.grid, floor.entrances[0])],
        entrances=floor.entrances,
        extent_min=(0.0, 0.0, 0.0), extent_max=(width, height, depth),
        objects_requested=plan.total,
    )


def _wall_length(side: int, width: float, depth: float) -> float:
    return width if side < 2 else depth


def _place_openings(spec: SceneSpec, rng: np.random.Generator) -> list[Opening]:
    """Doors, then windows, at random free slots; each keeps CORNER_GAP of wall to every side."""
    width, depth = spec.width, spec.depth
    window_width = min(WINDOW_WIDTH, max(width, depth) - 2 * (WALL_THICKNESS + CORNER_GAP))
    taken: dict[int, list[tuple[float, float]]] = {side: [] for side in range(4)}
    openings = []
    for kind, count, size, field in (("door", spec.interior.doors, DOOR_WIDTH, "interior.doors"),
                                     ("window", spec.interior.windows, window_width, "interior.windows")):
        for n in range(count):
            slots = []
            for side in range(4):
                length = _wall_length(side, width, depth)
                starts = np.arange(WALL_THICKNESS + CORNER_GAP, length - WALL_THICKNESS - CORNER_GAP - size + 1e-9, SLOT)
                free = np.ones(len(starts), bool)
                for lo, hi in taken[side]:
                    free &= (starts + size + CORNER_GAP <= lo + 1e-9) | (starts >= hi + CORNER_GAP - 1e-9)
                slots += [(side, float(s)) for s in starts[free]]
            if not slots or size <= 0:
                raise InvalidArgument(field, f"only {n} {kind}s fit on the walls of a {width:g} x {depth:g} m room "
                                             f"with the other openings; ask for fewer or enlarge bounds")
            side, start = slots[int(rng.integers(len(slots)))]
            taken[side].append((start, start + size))
            openings.append(Opening(kind, side, start, size))
    return openings


def _walls_and_openings(openings: list[Opening], width: float, height: float, depth: float) -> list[scene_pb2.SceneNode]:
    """Wall pieces around the openings, plus a door or window node in each opening.

    South and north walls run the full width; west and east fit between them."""
    t = WALL_THICKNESS
    window_top = min(WINDOW_TOP, height - 0.1)
    nodes = []
    counters = {"wall": 0, "door": 0, "window": 0}

    def add(tag: str, side: int, start: float, end: float, bottom: float, top: float, properties=None):
        if end - start <= 1e-6 or top - bottom <= 1e-6:
            return
        along = (start + end) / 2
        centre = {0: (along, t / 2), 1: (along, depth - t / 2), 2: (t / 2, along), 3: (width - t / 2, along)}[side]
        node_id = f"{tag}-{counters[tag]}"
        counters[tag] += 1
        nodes.append(box_node(node_id, tag, (centre[0], bottom, centre[1]), (end - start, top - bottom, t),
                              yaw=quarter_turn_yaw(SIDES[side][1]), parent_id="room", properties=properties))

    for side, (name, _) in enumerate(SIDES):
        length = _wall_length(side, width, depth)
        low, high = (0.0, length) if side < 2 else (t, length - t)
        cursor = low
        for opening in sorted((o for o in openings if o.side == side), key=lambda o: o.start):
            end = opening.start + opening.width
            add("wall", side, cursor, opening.start, 0.0, height)
            if opening.kind == "door":
                add("wall", side, opening.start, end, DOOR_HEIGHT, height)
                add("door", side, opening.start, end, 0.0, DOOR_HEIGHT,
                    {"wall": name, "clearance_depth": DOOR_CLEARANCE, "entrance": counters["door"] == 0})
            else:
                add("wall", side, opening.start, end, 0.0, SILL_HEIGHT)
                add("window", side, opening.start, end, SILL_HEIGHT, window_top, {"wall": name})
                add("wall", side, opening.start, end, window_top, height)
            cursor = end
        add("wall", side, cursor, high, 0.0, height)
    return nodes


def _floor_of(nodes: list[scene_pb2.SceneNode], width: float, height: float, depth: float) -> Floor:
    """Rasterise the shell: walls standing on the floor block, doors are walkable openings with a
    clear zone in front, windows mark the wall below them."""
    grid = FloorGrid(0.0, 0.0, CELL, math.ceil(width / CELL - 1e-6), math.ceil(depth / CELL - 1e-6))
    wall = np.zeros(grid.shape, bool)
    window = np.zeros(grid.shape, bool)
    door = np.zeros(grid.shape, bool)
    reserved = np.zeros(grid.shape, bool)
    entrances = []
    radius = grid.agent_radius_cells()
    inner = (WALL_THICKNESS, width - WALL_THICKNESS, WALL_THICKNESS, depth - WALL_THICKNESS)
    for node in nodes:
        lo, hi = node.bounds_min, node.bounds_max
        cells = grid.cells_under(lo.x, hi.x, lo.z, hi.z)
        if node.tag == "wall" and lo.y <= 1e-6:
            wall[cells] = True
        elif node.tag == "window":
            window[cells] = True
        elif node.tag == "door":
            door[cells] = True
            # The clear zone runs from the wall's inner face into the room.
            x0, x1, z0, z1 = _in_front(node, DOOR_CLEARANCE, inner)
            reserved[grid.cells_under(x0, x1, z0, z1)] = True
            ex, ez = _in_front_point(node, (radius + 1.5) * CELL, inner)
            entrances.append(grid.cell_at(ex, ez))
    window &= wall
    placeable = ~(wall | door)
    return Floor(grid=grid, placeable=placeable, passable=placeable | door, wall=wall, window=window,
                 reserved=reserved & placeable, entrances=entrances, centre=(width / 2, depth / 2), ceiling=height)


def _in_front(door: scene_pb2.SceneNode, reach: float, inner: tuple[float, float, float, float]):
    """The rectangle `reach` metres deep in front of a door, from the wall's inner face, inside the room."""
    lo, hi = door.bounds_min, door.bounds_max
    x0, x1, z0, z1 = inner
    wall = door.properties["wall"]
    if wall == "south":
        return lo.x, hi.x, z0, min(z1, z0 + reach)
    if wall == "north":
        return lo.x, hi.x, max(z0, z1 - reach), z1
    if wall == "west":
        return x0, min(x1, x0 + reach), lo.z, hi.z
    return max(x0, x1 - reach), x1, lo.z, hi.z


def _in_front_point(door: scene_pb2.SceneNode, reach: float, inner: tuple[float, float, float, float]) -> tuple[float, float]:
    x0, x1, z0, z1 = _in_front(door, reach, inner)
    wall = door.properties["wall"]
    along_x, along_z = (x0 + x1) / 2, (z0 + z1) / 2
    return {"south": (along_x, z1), "north": (along_x, z0), "west": (x1, along_z), "east": (x0, along_z)}[wall]
