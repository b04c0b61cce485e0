"""The layout solver: places planned assets on a floor so the hard rules hold by construction.

Hard rules, never broken: no two objects overlap, every object stands inside the floor and under
the ceiling, nothing stands in front of a door (or in another asset's clearance), AGAINST_WALL
assets back onto a wall (tall ones never onto a window), and every walkable cell stays reachable
from the entrances. Soft rules (placement preference, NEAR, FACING) rank the positions that pass.

Seats (SEATED_AT) are placed with what they are seated at, as one group set out by `seating.py`:
chairs round their table facing it, stools in a row before a counter. Wall and ceiling assets go
last, over floor space whose tallest object stays below them.

Each asset is placed greedily, most constrained first: for every quarter turn, one integral image
gives every free anchor on the grid at once; the anchors are scored, and the best one that keeps
the floor connected wins. Floors are grids of square cells; footprints are rounded up to whole
cells, so objects never overlap in continuous space either.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import ndimage

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.scenes import relations as rel
from worldsmith.scenes.catalog import AGAINST_WALL, CEILING, CENTER, MOUNTED, ON_TOP_OF, ON_WALL, mount_height
from worldsmith.scenes.seating import GROUP_MARGIN, SEAT_REACH, Arrangement, arrange, capacity
from worldsmith.scenes.grid import FloorGrid, RectangleSums, all_reachable, components, standable
from worldsmith.scenes.plan import PlannedRelation

# Objects whose bottom is lower than this stand in the way of walking agents.
STEP_HEIGHT = 0.3
# Objects this thin (rugs) can be walked over.
FLAT_HEIGHT = 0.05
# Windows start this high; assets backing onto a window must be lower.
SILL_HEIGHT = 0.9
# Best-scored positions tried before a few random ones, then the asset is left out.
BEST_TRIED, RANDOM_TRIED = 8, 8
# CENTER assets keep this much floor to what already stands in the middle, when they can.
WALKWAY = 1.0
# At most this many free positions are scored per asset.
MAX_SCORED = 1024
# Floors larger than this many cells are searched in windows of SEARCH_WINDOW cells a side.
MAX_SEARCH_CELLS, SEARCH_WINDOW, RANDOM_WINDOWS = 256 * 256, 128, 3
# Positions on top of a support are tried on this step.
TOP_STEP = 0.05


@dataclass
class Floor:
    """The space one solver run furnishes, as grids of cells (rows follow +Z, columns +X)."""

    grid: FloorGrid
    placeable: np.ndarray      # objects may stand here
    passable: np.ndarray       # agents may walk here while it is empty: placeable cells and door openings
    wall: np.ndarray           # AGAINST_WALL assets put their back to these
    window: np.ndarray         # wall cells with a window above the sill
    reserved: np.ndarray       # kept clear: in front of doors
    entrances: list[tuple[int, int]]
    centre: tuple[float, float]
    ceiling: float


@dataclass(frozen=True)
class Instance:
    """One object the plan asks for."""

    tag: str
    asset: scene_pb2.CatalogAsset
    relations: tuple[PlannedRelation, ...]
    required: bool  # within the asset's min_count
    seats: tuple["Instance", ...] = ()  # placed with this one, round it (SEATED_AT)

    @property
    def seated_at(self) -> str:
        """The tag this instance is a seat at, or ""."""
        return next((r.target for r in self.relations if r.kind == "seated_at"), "")


@dataclass
class Placed:
    instance: Instance
    x: float            # bottom centre
    y: float
    z: float
    quarter_turns: int  # yaw in quarter turns about +Y; the front (+Z) turns with it
    support: "Placed | None" = None
    on_top: list["Placed"] = field(default_factory=list)

    @property
    def tag(self) -> str:
        return self.instance.tag

    @property
    def extent(self) -> tuple[float, float, float]:
        """World-axis size: x and z swap on odd quarter turns."""
        s = self.instance.asset.size
        return (s.z, s.y, s.x) if self.quarter_turns % 2 else (s.x, s.y, s.z)

    @property
    def top(self) -> float:
        return self.y + self.instance.asset.size.y

    def footprint(self) -> tuple[float, float, float, float]:
        ex, _, ez = self.extent
        return self.x - ex / 2, self.x + ex / 2, self.z - ez / 2, self.z + ez / 2


def _cells(size: float, cell: float) -> int:
    return max(1, math.ceil(size / cell - 1e-6))


Window = tuple[int, int, int, int]  # rows [r0, r1), columns [c0, c1) of a floor grid


class LayoutSolver:
    """Places instances on one floor. Keeps the occupancy, the clearances, the cells where an agent
    can stand, and the placed objects."""

    def __init__(self, floor: Floor, rng: np.random.Generator, check_stop: Callable[[], None] = lambda: None):
        self.floor = floor
        self.rng = rng
        self.check_stop = check_stop
        grid = floor.grid
        self.bodies = np.zeros(grid.shape, bool)     # cells under any floor-standing object
        self.taken = ~floor.placeable                # no object may stand here: off the floor, or a body
        self.blocking = np.zeros(grid.shape, bool)   # cells agents cannot walk through
        self.reserved = floor.reserved.copy()        # door and asset clearances
        self.top = np.zeros(grid.shape)              # height of the tallest object over each cell
        self.headroom = np.full(grid.shape, np.inf)  # bottom of the lowest wall or ceiling asset over each cell
        self.placed: list[Placed] = []
        self._static_sums: dict[tuple[int, Window], tuple[RectangleSums, RectangleSums]] = {}
        self.radius = grid.agent_radius_cells()
        self.standable = standable(floor.passable, self.radius)
        if not all_reachable(self.standable, floor.entrances):
            raise ValueError("the empty floor is not connected to its entrances")
        self.scale = max(grid.rows, grid.cols) * grid.cell
        self.wall_distance = ndimage.distance_transform_edt(floor.placeable) * grid.cell

    # -- the loop ---------------------------------------------------------------------
    def place_all(self, instances: list[Instance], progress: Callable[[int, int], None] = lambda step, total: None) -> list[Instance]:
        """Place what fits, in order; return the instances left out."""
        left_out = []
        for step, instance in enumerate(instances):
            self.check_stop()
            if instance.asset.placement == ON_TOP_OF:
                placed = self._place_on_top(instance)
            elif instance.asset.placement in MOUNTED:
                placed = self._place_mounted(instance)
            elif instance.seats:
                placed, dropped = self._place_group(instance)
                left_out += dropped
            else:
                placed = self._place_on_floor(instance)
            if placed is None:
                left_out.append(instance)
            progress(step + 1, len(instances))
        return left_out

    def walkable(self) -> np.ndarray:
        """Cells where an agent's centre can stand; all of them reachable from every entrance."""
        return self.standable.copy()

    # -- the connectivity rule --------------------------------------------------------
    def _block(self, rows: slice, cols: slice) -> bool:
        """Block these cells for walking if every walkable cell stays reachable; say whether it did."""
        return self._block_all([(rows, cols)])

    def _block_all(self, rects: list[tuple[slice, slice]]) -> bool:
        """Block these rectangles of cells for walking if every walkable cell stays reachable; say whether it did.

        Only cells within the agent's radius of the blocked ones can change, so they are recomputed
        in a window around them. If the window's walkable cells split into no more pieces than
        before, any path through the window can still go round: the floor stays connected. Otherwise
        the whole floor decides."""
        grid, r = self.floor.grid, self.radius
        bounds = (min(rows.start for rows, _ in rects), max(rows.stop for rows, _ in rects),
                  min(cols.start for _, cols in rects), max(cols.stop for _, cols in rects))
        window = _grow(bounds, r + 2, grid.shape)
        context = _grow(window, r, grid.shape)
        free = self.floor.passable[_slices(context)] & ~self.blocking[_slices(context)]
        for rows, cols in rects:
            free[rows.start - context[0]:rows.stop - context[0], cols.start - context[2]:cols.stop - context[2]] = False
        inner = (slice(window[0] - context[0], window[1] - context[0]), slice(window[2] - context[2], window[3] - context[2]))
        after = standable(free, r)[inner]
        before = self.standable[_slices(window)]
        entrances_kept = all(after[er - window[0], ec - window[2]] for er, ec in self.floor.entrances
                             if window[0] <= er < window[1] and window[2] <= ec < window[3])
        if not entrances_kept:
            return False
        if components(after)[1] != components(before)[1]:
            trial = self.standable.copy()
            trial[_slices(window)] = after
            if not all_reachable(trial, self.floor.entrances):
                return False
        self.standable[_slices(window)] = after
        for rows, cols in rects:
            self.blocking[rows, cols] = True
        return True

    # -- floor assets -----------------------------------------------------------------
    def _place_on_floor(self, instance: Instance) -> Placed | None:
        for window in self._search_windows(instance):
            placed = self._place_in(instance, window)
            if placed is not None:
                return placed
        return None

    def _search_windows(self, instance: Instance):
        """Where to look: the whole floor when it is small; on a large floor (a cave) a window
        round a relation's target, the middle for CENTER assets, or random spots, then everything."""
        grid = self.floor.grid
        if grid.rows * grid.cols <= MAX_SEARCH_CELLS:
            yield 0, grid.rows, 0, grid.cols
            return
        half = SEARCH_WINDOW // 2
        targets = [p for r in instance.relations for p in self.placed if p.tag == r.target and p.support is None]
        if targets:
            target = targets[int(self.rng.integers(len(targets)))]
            yield _grow(_at(grid.cell_at(target.x, target.z)), half, grid.shape)
        if instance.asset.placement == CENTER:
            yield _grow(_at(grid.cell_at(*self.floor.centre)), half, grid.shape)
        free_rows, free_cols = np.nonzero(self.floor.placeable & ~self.bodies)
        for _ in range(RANDOM_WINDOWS if len(free_rows) else 0):
            k = int(self.rng.integers(len(free_rows)))
            yield _grow(_at((int(free_rows[k]), int(free_cols[k]))), half, grid.shape)
        yield 0, grid.rows, 0, grid.cols

    def _place_in(self, instance: Instance, window: Window, commit=None) -> Placed | None:
        """The best free spot for one footprint in a window; `commit(q, r, c, h, w, centre)` claims it
        (by default: the footprint itself) and answers None when the spot would cut the floor off."""
        floor, grid = self.floor, self.floor.grid
        asset = instance.asset
        if asset.size.y > floor.ceiling + 1e-6:
            return None
        commit = commit or (lambda *spot: self._commit(instance, *spot))
        clearance = _cells(asset.clearance_front, grid.cell) if asset.clearance_front > 0 else 0
        pad = clearance + 2
        body_blocked = RectangleSums(self.taken | self.reserved | (self.headroom < asset.size.y + 1e-6), pad, True, window)
        clear_blocked = RectangleSums(self.taken, pad, True, window) if clearance else None
        walls, windows = self._walls_and_windows(pad, window)
        tall = asset.size.y > SILL_HEIGHT
        window_rows, window_cols = window[1] - window[0], window[3] - window[2]

        # 1. Every anchor (top-left cell) where the footprint and its clearance fit, per quarter turn.
        #    The most selective rule runs over the whole window; the others only where it passed.
        turns = (0, 1, 2, 3) if (clearance or asset.placement == AGAINST_WALL or _faces(instance)) else (0, 1)
        free_at: dict[tuple[int, int], np.ndarray] = {}  # a footprint turned half way round covers the same cells
        candidates = []  # (quarter turns, rows, cols, height in cells, width in cells)
        for q in turns:
            h, w = (_cells(asset.size.x, grid.cell), _cells(asset.size.z, grid.cell)) if q % 2 else (_cells(asset.size.z, grid.cell), _cells(asset.size.x, grid.cell))
            anchors = (window_rows - h + 1, window_cols - w + 1)
            if anchors[0] <= 0 or anchors[1] <= 0:
                continue
            if asset.placement == AGAINST_WALL:
                back = _front_rect(q, h, w, -1)
                rows, cols = np.nonzero(walls.sums(anchors, *back) == back[2] * back[3])
                keep = body_blocked.at(rows, cols, 0, 0, h, w) == 0
                if tall:
                    keep &= windows.at(rows, cols, *back) == 0
            else:
                if (h, w) not in free_at:
                    free_at[(h, w)] = body_blocked.sums(anchors, 0, 0, h, w) == 0
                    if asset.placement == CENTER:
                        free_at[(h, w)] &= walls.sums(anchors, -1, -1, h + 2, w + 2) == 0
                rows, cols = np.nonzero(free_at[(h, w)])
                keep = np.ones(len(rows), bool)
            if clearance:
                keep &= clear_blocked.at(rows, cols, *_front_rect(q, h, w, clearance)) == 0
            if keep.any():
                candidates.append((q, rows[keep] + window[0], cols[keep] + window[2], h, w))
        if not candidates:
            return None

        # 2. Score a manageable pool of them.
        pool = self._pool(instance, candidates)
        q_all, rows, cols, h_all, w_all = _flatten(pool)
        if len(turns) == 2:  # the footprint is the same turned half way round: pick either side at random
            q_all = q_all + 2 * self.rng.integers(0, 2, len(q_all))
        centres = self._centres(instance, q_all, rows, cols, h_all, w_all)
        score = self._score(instance, q_all, centres)
        if asset.placement == CENTER:
            # Towards the middle, but with a walkway (WALKWAY metres) to what already stands there.
            score -= 2.0 * np.linalg.norm(centres - np.asarray(floor.centre), axis=1) / self.scale
            score += np.minimum(self._gaps_to_bodies(rows, cols, h_all, w_all, window), WALKWAY) / WALKWAY
        elif asset.placement != AGAINST_WALL:
            # Free-standing assets drift towards the walls, keeping the middle open to walk.
            score -= 0.5 * self.wall_distance[rows + h_all // 2, cols + w_all // 2] / self.scale

        # 3. The best that keeps the floor connected wins.
        for i in self._tried(score):
            placed = commit(int(q_all[i]), int(rows[i]), int(cols[i]), int(h_all[i]), int(w_all[i]), centres[i])
            if placed is not None:
                return placed
        return None

    def _commit(self, instance: Instance, q: int, r: int, c: int, h: int, w: int, centre: np.ndarray) -> Placed | None:
        """Claim a footprint's cells (and its clearance) unless blocking them cuts the floor off."""
        asset = instance.asset
        if asset.size.y > FLAT_HEIGHT and not self._block(slice(r, r + h), slice(c, c + w)):
            return None
        self.bodies[r:r + h, c:c + w] = True
        self.taken[r:r + h, c:c + w] = True
        self.top[r:r + h, c:c + w] = np.maximum(self.top[r:r + h, c:c + w], asset.size.y)
        if asset.clearance_front > 0:
            ro, co, ch, cw = _front_rect(q, h, w, _cells(asset.clearance_front, self.floor.grid.cell))
            self.reserved[max(0, r + ro):max(0, r + ro + ch), max(0, c + co):max(0, c + co + cw)] = True
        placed = Placed(instance, float(centre[0]), 0.0, float(centre[1]), q)
        self.placed.append(placed)
        return placed

    # -- seats and what they are seated at ----------------------------------------------
    def _place_group(self, instance: Instance) -> tuple[Placed | None, list[Instance]]:
        """A target and its seats as one footprint: the group's box must be free, and only the
        target's and the seats' own cells stop agents (the gaps between seats stay walkable).
        Where the group does not fit, it tries again without the walkway round it, then with fewer
        seats (down to two); returns what it placed and the seats it had to leave out."""
        for seats in sorted({len(instance.seats), *range(min(len(instance.seats), 2), len(instance.seats))}, reverse=True):
            for margin in (GROUP_MARGIN, 0.0):
                placed = self._place_group_once(instance, instance.seats[:seats], margin)
                if placed is not None:
                    return placed, list(instance.seats[seats:])
        return None, list(instance.seats)

    def _place_group_once(self, instance: Instance, seats: tuple[Instance, ...], margin: float) -> Placed | None:
        asset = instance.asset
        wall_backed = asset.placement == AGAINST_WALL
        layout = arrange((asset.size.x, asset.size.z), (seats[0].asset.size.x, seats[0].asset.size.z), len(seats), wall_backed)
        if not wall_backed:  # room to walk round a free-standing group
            x0, x1, z0, z1 = layout.bounds
            layout = dataclasses.replace(layout, bounds=(x0 - margin, x1 + margin, z0 - margin, z1 + margin))
        x0, x1, z0, z1 = layout.bounds
        tallest = max([asset.size.y] + [s.asset.size.y for s in seats])
        box = scene_pb2.CatalogAsset(tag=instance.tag, size=common_pb2.Vec3(x=x1 - x0, y=tallest, z=z1 - z0),
                                     placement=asset.placement)
        group = Instance(instance.tag, box, instance.relations, instance.required)
        target = dataclasses.replace(instance, seats=seats)
        commit = lambda q, r, c, h, w, centre: self._commit_group(target, layout, q, r, c, h, w, centre)  # noqa: E731
        for window in self._search_windows(group):
            placed = self._place_in(group, window, commit)
            if placed is not None:
                return placed
        return None

    def _commit_group(self, instance: Instance, layout: Arrangement, q: int, r: int, c: int, h: int, w: int,
                      centre: np.ndarray) -> Placed | None:
        x0, x1, z0, z1 = layout.bounds
        turn = _turn(q)
        origin = np.asarray(centre) - turn @ np.array([(x0 + x1) / 2, (z0 + z1) / 2])
        members = [(instance, origin, q)]
        for spot, seat in zip(layout.spots, instance.seats):
            members.append((seat, origin + turn @ np.array([spot.x, spot.z]), (q + spot.quarter_turns) % 4))
        grid = self.floor.grid
        placed = [Placed(member, float(at[0]), 0.0, float(at[1]), turns) for member, at, turns in members]
        rects = [grid.cells_under(*p.footprint()) for p in placed]
        if not self._block_all(rects):
            return None
        self.taken[r:r + h, c:c + w] = True
        for p, (rows, cols) in zip(placed, rects):
            self.bodies[rows, cols] = True
            self.top[rows, cols] = np.maximum(self.top[rows, cols], p.top)
        self.placed += placed
        return placed[0]

    # -- wall and ceiling assets ----------------------------------------------------------
    def _place_mounted(self, instance: Instance) -> Placed | None:
        """A wall asset backs onto a wall (never a window) at its mount height; a ceiling asset hangs
        from the ceiling. Either only over cells whose objects stay below it, clear of door zones and
        of each other, spread out from others of their kind."""
        floor, asset = self.floor, instance.asset
        bottom = mount_height(asset) if asset.placement == ON_WALL else floor.ceiling - asset.size.y
        if bottom < STEP_HEIGHT or bottom + asset.size.y > floor.ceiling + 1e-6:
            return None
        blocked = ~floor.placeable | floor.reserved | (self.top > bottom + 1e-6) | ~np.isinf(self.headroom)
        for window in self._search_windows(instance):
            placed = self._mount_in(instance, window, blocked, bottom)
            if placed is not None:
                return placed
        return None

    def _mount_in(self, instance: Instance, window: Window, blocked: np.ndarray, bottom: float) -> Placed | None:
        grid, asset = self.floor.grid, instance.asset
        sums = RectangleSums(blocked, 2, True, window)
        walls, windows = self._walls_and_windows(2, window)
        candidates = []
        for q in ((0, 1, 2, 3) if asset.placement == ON_WALL else (0, 1)):
            h, w = (_cells(asset.size.x, grid.cell), _cells(asset.size.z, grid.cell)) if q % 2 else (_cells(asset.size.z, grid.cell), _cells(asset.size.x, grid.cell))
            anchors = (window[1] - window[0] - h + 1, window[3] - window[2] - w + 1)
            if anchors[0] <= 0 or anchors[1] <= 0:
                continue
            if asset.placement == ON_WALL:
                back = _front_rect(q, h, w, -1)
                free = (walls.sums(anchors, *back) == back[2] * back[3]) & (sums.sums(anchors, 0, 0, h, w) == 0)
                rows, cols = np.nonzero(free)
                keep = windows.at(rows, cols, *back) == 0
                rows, cols = rows[keep], cols[keep]
            else:
                rows, cols = np.nonzero(sums.sums(anchors, 0, 0, h, w) == 0)
            if len(rows):
                candidates.append((q, rows + window[0], cols + window[2], h, w))
        if not candidates:
            return None
        pool = self._pool(instance, candidates)
        q_all, rows, cols, h_all, w_all = _flatten(pool)
        centres = self._centres(instance, q_all, rows, cols, h_all, w_all)
        score = self._score(instance, q_all, centres)
        kin = np.array([[p.x, p.z] for p in self.placed if p.tag == instance.tag]).reshape(-1, 2)
        if len(kin):  # spread out: the farther from the nearest of its kind, the better
            score += 3.0 * np.linalg.norm(centres[:, None, :] - kin[None, :, :], axis=-1).min(axis=1) / self.scale
        targets = np.array([[p.x, p.z] for r in instance.relations for p in self.placed if p.tag == r.target]).reshape(-1, 2)
        if asset.placement == CEILING and len(targets):  # a hanging light over the middle of what it lights
            score -= 4.0 * np.linalg.norm(centres[:, None, :] - targets[None, :, :], axis=-1).min(axis=1) / self.scale
        i = int(np.argmax(score))
        q, r, c, h, w = int(q_all[i]), int(rows[i]), int(cols[i]), int(h_all[i]), int(w_all[i])
        self.headroom[r:r + h, c:c + w] = np.minimum(self.headroom[r:r + h, c:c + w], bottom)
        placed = Placed(instance, float(centres[i, 0]), bottom, float(centres[i, 1]), q)
        self.placed.append(placed)
        return placed

    def _walls_and_windows(self, pad: int, window: Window) -> tuple[RectangleSums, RectangleSums]:
        """Walls never change: their rectangle sums are built once per padding and window."""
        key = (pad, window)
        if key not in self._static_sums:
            self._static_sums[key] = (RectangleSums(self.floor.wall, pad, True, window),
                                      RectangleSums(self.floor.window, pad, False, window))
        return self._static_sums[key]

    def _gaps_to_bodies(self, rows, cols, h, w, window: Window) -> np.ndarray:
        """Metres from each candidate footprint's edge to the nearest object, up to WALKWAY."""
        bodies = self.bodies[_slices(window)]
        if not bodies.any():
            return np.full(len(rows), WALKWAY)
        cell = self.floor.grid.cell
        distance = ndimage.distance_transform_edt(~bodies) * cell
        rows, cols = rows - window[0], cols - window[2]
        # The smallest distance over the footprint's corners and edge midpoints approximates its gap.
        r_edges = [rows, rows + (h - 1) // 2, rows + h - 1]
        c_edges = [cols, cols + (w - 1) // 2, cols + w - 1]
        nearest = np.min([distance[r, c] for r in r_edges for c in c_edges], axis=0)
        return np.maximum(nearest - cell / 2, 0.0)

    def _centres(self, instance: Instance, q, rows, cols, h, w) -> np.ndarray:
        """Footprint centres: in the middle of their cells, or flush with the wall behind them."""
        grid, size = self.floor.grid, instance.asset.size
        ex = np.where(q % 2 == 1, size.z, size.x)
        ez = np.where(q % 2 == 1, size.x, size.z)
        x_lo, z_lo = grid.x0 + cols * grid.cell, grid.z0 + rows * grid.cell
        x_hi, z_hi = x_lo + w * grid.cell, z_lo + h * grid.cell
        x, z = (x_lo + x_hi) / 2, (z_lo + z_hi) / 2
        if instance.asset.placement in (AGAINST_WALL, ON_WALL):
            z = np.select([q == 0, q == 2], [z_lo + ez / 2, z_hi - ez / 2], z)
            x = np.select([q == 1, q == 3], [x_lo + ex / 2, x_hi - ex / 2], x)
        return np.stack([x, z], axis=1)

    def _pool(self, instance: Instance, candidates: list) -> list:
        """Which free anchors to score: those near every NEAR target when there are any, thinned
        (every k-th from a random start) to at most MAX_SCORED, so a large empty hall costs no more
        than a small room."""
        zone = self._near_zone(instance)
        if zone is not None:
            near = [zone[r + h // 2, c + w // 2] for _, r, c, h, w in candidates]
            if any(n.any() for n in near):
                candidates = [(q, r[n], c[n], h, w) for (q, r, c, h, w), n in zip(candidates, near) if n.any()]
        total = sum(len(r) for _, r, _, _, _ in candidates)
        if total <= MAX_SCORED:
            return candidates
        step = math.ceil(total / MAX_SCORED)
        thinned = []
        for q, r, c, h, w in candidates:
            pick = slice(int(self.rng.integers(step)), None, step)
            if len(r[pick]):
                thinned.append((q, r[pick], c[pick], h, w))
        return thinned

    def _near_zone(self, instance: Instance) -> np.ndarray | None:
        """Cells where a footprint centre would be close to a target of every NEAR relation, or None."""
        grid = self.floor.grid
        zone = None
        reach = max(instance.asset.size.x, instance.asset.size.z) / 2
        for relation in instance.relations:
            targets = [p for p in self.placed if p.tag == relation.target and p.support is None]
            if relation.kind not in ("near", "seated_at") or not targets:
                continue
            around = np.zeros(grid.shape, bool)
            for target in targets:
                x0, x1, z0, z1 = target.footprint()
                d = (relation.near_distance if relation.kind == "near" else SEAT_REACH) + reach
                around[grid.cells_under(x0 - d, x1 + d, z0 - d, z1 + d)] = True
            zone = around if zone is None else zone & around
        return zone

    def _tried(self, score: np.ndarray):
        order = np.argsort(-score, kind="stable")
        yield from order[:BEST_TRIED]
        rest = order[BEST_TRIED:]
        if len(rest):
            yield from self.rng.choice(rest, size=min(RANDOM_TRIED, len(rest)), replace=False)

    # -- assets on top of others ------------------------------------------------------
    def _place_on_top(self, instance: Instance) -> Placed | None:
        asset = instance.asset
        supports = [p for p in self.placed if p.tag == asset.on_top_of and p.top + asset.size.y <= self.floor.ceiling + 1e-6
                    and p.top + asset.size.y <= self.headroom[self.floor.grid.cells_under(*p.footprint())].min() + 1e-6]
        options = []  # (support, quarter_turns, centres)
        turns = (0, 1, 2, 3) if _faces(instance) else (0, 1)
        for support in supports:
            sx0, sx1, sz0, sz1 = support.footprint()
            for q in turns:
                ex, ez = (asset.size.z, asset.size.x) if q % 2 else (asset.size.x, asset.size.z)
                xs = _positions(sx0 + ex / 2, sx1 - ex / 2)
                zs = _positions(sz0 + ez / 2, sz1 - ez / 2)
                if not len(xs) or not len(zs):
                    continue
                centres = np.stack(np.meshgrid(xs, zs), axis=-1).reshape(-1, 2)
                for other in support.on_top:
                    ox0, ox1, oz0, oz1 = other.footprint()
                    apart = ((np.abs(centres[:, 0] - (ox0 + ox1) / 2) >= (ex + ox1 - ox0) / 2 - 1e-6)
                             | (np.abs(centres[:, 1] - (oz0 + oz1) / 2) >= (ez + oz1 - oz0) / 2 - 1e-6))
                    centres = centres[apart]
                if len(centres):
                    options.append((support, q, centres))
        if not options:
            return None
        q_all = np.concatenate([np.full(len(c), q) for _, q, c in options])
        owner = np.concatenate([np.full(len(c), k) for k, (_, _, c) in enumerate(options)])
        centres = np.concatenate([c for _, _, c in options])
        if len(turns) == 2:
            q_all = q_all + 2 * self.rng.integers(0, 2, len(q_all))
        score = self._score(instance, q_all, centres)
        for i in self._tried(score):
            support = options[owner[i]][0]
            placed = Placed(instance, float(centres[i, 0]), support.top, float(centres[i, 1]), int(q_all[i]), support)
            if support.top < STEP_HEIGHT and asset.size.y > FLAT_HEIGHT:
                # Standing on a rug still blocks the way.
                rows, cols = self.floor.grid.cells_under(*placed.footprint())
                if not self._block(rows, cols):
                    continue
            support.on_top.append(placed)
            self.placed.append(placed)
            rows, cols = self.floor.grid.cells_under(*placed.footprint())
            self.top[rows, cols] = np.maximum(self.top[rows, cols], placed.top)
            return placed
        return None

    # -- soft rules -------------------------------------------------------------------
    def _score(self, instance: Instance, q: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """Higher is better: relations that hold earn points, near-misses lose a little, and a
        random share keeps equal positions apart from one seed to the next."""
        size = instance.asset.size
        halves = np.where((q % 2 == 1)[:, None], [size.z / 2, size.x / 2], [size.x / 2, size.z / 2])
        score = self.rng.random(len(q)) * 0.5
        for relation in instance.relations:
            targets = [p for p in self.placed if p.tag == relation.target]
            if not targets:
                continue
            target_centres = np.array([[p.x, p.z] for p in targets])
            if relation.kind in ("near", "seated_at"):
                reach = relation.near_distance if relation.kind == "near" else SEAT_REACH
                target_halves = np.array([[p.extent[0] / 2, p.extent[2] / 2] for p in targets])
                all_gaps = rel.gaps(centres, halves, target_centres, target_halves)
                closest = np.argmin(all_gaps, axis=1)
                gap = all_gaps[np.arange(len(closest)), closest]
                # Share the targets out: four chairs at each of four tables, not sixteen at one.
                crowd = self._crowding(instance.tag, targets, target_centres, target_halves, reach)
                score += np.where(rel.near_holds(gap, reach), 2.0 - 0.25 * crowd[closest], -(gap - reach))
            if relation.kind in ("facing", "seated_at"):
                cosine = rel.facing_cosines(centres, rel.front_of(q), target_centres)
                score += np.where(rel.facing_holds(cosine), 1.5, cosine - 1.0)
                if relation.kind == "facing" and targets[0].instance.asset.placement == AGAINST_WALL:
                    # Facing something on a wall (pews, an altar) means facing that wall, in rows
                    # square to it and in front of it rather than beside it.
                    back = -rel.front_of(targets[0].quarter_turns)
                    score += 2.0 * (rel.front_of(q) @ back > 0.99)
                    ahead = (centres - target_centres[0]) @ -back
                    score += np.minimum(ahead, 0.0) / self.scale
                    score += self._in_rows(instance.tag, centres, back)
        return score


    def _in_rows(self, tag: str, centres: np.ndarray, back: np.ndarray) -> np.ndarray:
        """Points for lining up with others of the same tag: the same column (across the facing
        direction) and the same row, so pews stand in rows with an aisle rather than scattered."""
        kin = np.array([[p.x, p.z] for p in self.placed if p.tag == tag]).reshape(-1, 2)
        if not len(kin):
            return np.zeros(len(centres))
        across = np.array([back[1], -back[0]])
        tolerance = self.floor.grid.cell / 2 + 1e-6
        same_column = np.abs((centres @ across)[:, None] - (kin @ across)[None, :]) <= tolerance
        same_row = np.abs((centres @ back)[:, None] - (kin @ back)[None, :]) <= tolerance
        return 1.0 * same_column.any(axis=1) + 1.0 * same_row.any(axis=1)

    def _crowding(self, tag: str, targets: list[Placed], target_centres, target_halves, distance: float) -> np.ndarray:
        """How many objects of `tag` already stand near each target."""
        mates = [p for p in self.placed if p.tag == tag]
        if not mates:
            return np.zeros(len(targets))
        centres = np.array([[p.x, p.z] for p in mates])
        halves = np.array([[p.extent[0] / 2, p.extent[2] / 2] for p in mates])
        return rel.near_holds(rel.gaps(centres, halves, target_centres, target_halves), distance).sum(axis=0)


def _grow(window: Window, by: int, shape: tuple[int, int]) -> Window:
    """A window grown by `by` cells on every side, clipped to the grid."""
    r0, r1, c0, c1 = window
    return max(0, r0 - by), min(shape[0], r1 + by), max(0, c0 - by), min(shape[1], c1 + by)


def _at(cell: tuple[int, int]) -> Window:
    return cell[0], cell[0] + 1, cell[1], cell[1] + 1


def _slices(window: Window) -> tuple[slice, slice]:
    return slice(window[0], window[1]), slice(window[2], window[3])


def _faces(instance: Instance) -> bool:
    return any(r.kind == "facing" for r in instance.relations)


def _flatten(pool: list[tuple]) -> tuple[np.ndarray, ...]:
    """(turn, rows, cols, height, width) per candidate group -> one array of each, a row per candidate."""
    q_all = np.concatenate([np.full(len(r), q) for q, r, _, _, _ in pool])
    rows = np.concatenate([r for _, r, _, _, _ in pool])
    cols = np.concatenate([c for _, _, c, _, _ in pool])
    h_all = np.concatenate([np.full(len(r), h) for _, r, _, h, _ in pool])
    w_all = np.concatenate([np.full(len(r), w) for _, r, _, _, w in pool])
    return q_all, rows, cols, h_all, w_all


def _front_rect(q: int, h: int, w: int, depth: int) -> tuple[int, int, int, int]:
    """(row offset, column offset, rows, columns) of the strip `depth` cells deep in front of a
    footprint of h rows by w columns turned q quarter turns; a negative depth gives the strip behind."""
    if depth < 0:
        return _front_rect((q + 2) % 4, h, w, -depth)
    return {0: (h, 0, depth, w), 2: (-depth, 0, depth, w), 1: (0, w, h, depth), 3: (0, -depth, h, depth)}[q]


def _turn(q: int) -> np.ndarray:
    """(x, z) in an asset's frame to world axes, for a turn of q quarter turns about +Y (front +Z to front_of(q))."""
    sin, cos = [(0, 1), (1, 0), (0, -1), (-1, 0)][q % 4]
    return np.array([[cos, sin], [-sin, cos]], float)


def _positions(lo: float, hi: float) -> np.ndarray:
    if hi < lo - 1e-9:
        return np.empty(0)
    if hi - lo < TOP_STEP:
        return np.array([(lo + hi) / 2])
    return np.linspace(lo, hi, int((hi - lo) / TOP_STEP) + 1)


def instances_for(items, assets: dict[str, scene_pb2.CatalogAsset]) -> list[Instance]:
    """The plan's objects in solving order: supports before what stands on them, relation targets
    before the assets that relate to them, the catalog's minimum before extras, wall assets before
    middle ones before free ones, large before small, wall and ceiling assets last. Seats are dealt
    round their targets (as evenly as the targets take them) and travel with them; seats no target
    can take stand on their own, near and facing one."""
    relations = {item.tag: item.relations for item in items}

    def level(tag: str, seen: frozenset = frozenset()) -> int:
        targets = [r.target for r in relations.get(tag, ()) if r.target != tag and r.target not in seen]
        return 1 + max((level(t, seen | {tag}) for t in targets), default=-1)

    def depth(tag: str) -> int:
        return 1 + depth(assets[tag].on_top_of) if assets[tag].placement == ON_TOP_OF else 0

    by_tag = {item.tag: [Instance(item.tag, assets[item.tag], item.relations, k < assets[item.tag].min_count)
                         for k in range(item.count)] for item in items}
    seats_of: dict[int, list[Instance]] = {}
    for tag, seats in list(by_tag.items()):
        target_tag = seats[0].seated_at if seats else ""
        targets = by_tag.get(target_tag, [])
        if not targets or any(seats_of.get(id(t)) for t in targets):
            continue
        target, seat = assets[target_tag], assets[tag]
        room = capacity((target.size.x, target.size.z), (seat.size.x, seat.size.z), target.placement == AGAINST_WALL)
        dealt = [[] for _ in targets]
        left = []
        for k, instance in enumerate(seats):
            holder = min(range(len(targets)), key=lambda i: (len(dealt[i]), i))
            (dealt[holder] if len(dealt[holder]) < room else left).append(instance)
        for target_instance, share in zip(targets, dealt):
            seats_of[id(target_instance)] = share
        by_tag[tag] = left

    placement_rank = {AGAINST_WALL: 0, CENTER: 1}
    ordered = []
    for tag, instances in by_tag.items():
        asset = assets[tag]
        for k, instance in enumerate(instances):
            seats = seats_of.get(id(instance), [])
            area = asset.size.x * asset.size.z
            if seats:
                instance = dataclasses.replace(instance, seats=tuple(seats))
                x0, x1, z0, z1 = arrange((asset.size.x, asset.size.z), (seats[0].asset.size.x, seats[0].asset.size.z),
                                         len(seats), asset.placement == AGAINST_WALL).bounds
                area = (x1 - x0) * (z1 - z0)
            # Rugs and the like go down once the furniture stands: they must not take the middle first.
            key = (asset.placement in MOUNTED, depth(tag), asset.size.y <= FLAT_HEIGHT, level(tag) if not seats else 0,
                   k >= asset.min_count, placement_rank.get(asset.placement, 2), -area, tag, k)
            ordered.append((key, instance))
    return [instance for _, instance in sorted(ordered, key=lambda pair: pair[0])]
