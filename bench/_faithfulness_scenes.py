"""Scene faithfulness cases: interiors, dungeons and terrain through the real pipeline, each prompt's
requirements measured from the returned scene graph, walk grid and heightmap (never from the plan),
plus validity: no collisions, nothing out of bounds, everything reachable, the GLB valid.

`cases()` runs them with the keyword planner; `cases(make)` with any `make(request) -> SceneResult`
(the LLM planner's path through SceneService, say), so both planners answer to the same suite.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

from _faithfulness import outcome, requirement  # noqa: E402
from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2  # noqa: E402
from worldsmith.config import ScenesConfig  # noqa: E402
from worldsmith.runtime.context import CallContext  # noqa: E402
from worldsmith.runtime.engine import FunctionEngine  # noqa: E402
from worldsmith.scenes import generate  # noqa: E402
from worldsmith.scenes.catalog import default_catalog  # noqa: E402
from worldsmith.scenes.service import SceneService  # noqa: E402

Make = Callable[[scene_pb2.GenerateSceneRequest], scene_pb2.SceneResult]

VALIDATOR = ROOT / ".tools" / "node_modules" / "gltf-validator"
# Node reads GLB paths from argv and prints the error count of each, as JSON.
VALIDATE = """
const validator = require(process.argv[1]);
const fs = require('fs');
Promise.all(process.argv.slice(2).map(p => validator.validateBytes(new Uint8Array(fs.readFileSync(p)))))
  .then(rs => console.log(JSON.stringify(rs.map(r => r.issues.numErrors))));
"""
TOUCH = 0.05          # metres: boxes this close touch (a counter against a wall)
REACH = 0.5           # metres: a seat this close to its table is within reach
MOUNTED_ABOVE = 1.2   # metres: a light whose bottom is this high is on a wall, not on furniture
LIGHTS = {"wall_lamp", "chandelier", "table_lamp", "torch"}
DUNGEON_PROPS = {"torch", "barrel", "crate", "chest", "bones", "pillar", "brazier"}
ROOM_FURNITURE = {"table", "chair", "bar_counter", "stool", "bed", "wardrobe", "pew", "altar", "stove", "counter"}
OBJECT_TAGS = {a.tag for a in default_catalog().assets}
SOLID = {"wall", "door", "window"}


# -- requests ------------------------------------------------------------------------------

def interior(prompt: str, bounds, seed: int, doors: int = 1, windows: int = 2) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, prompt=prompt, seed=seed,
                                          bounds=common_pb2.Vec3(x=bounds[0], y=bounds[1], z=bounds[2]),
                                          interior=scene_pb2.InteriorParameters(doors=doors, windows=windows))


def dungeon(prompt: str, seed: int, caves: bool = False, cells: int = 32) -> scene_pb2.GenerateSceneRequest:
    algorithm = scene_pb2.DUNGEON_ALGORITHM_CAVES if caves else scene_pb2.DUNGEON_ALGORITHM_BSP
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_DUNGEON, prompt=prompt, seed=seed,
                                          bounds=common_pb2.Vec3(x=cells * 2.0, y=3, z=cells * 2.0),
                                          dungeon=scene_pb2.DungeonParameters(algorithm=algorithm, cell_size=2, furnish=True))


def terrain(prompt: str, seed: int) -> scene_pb2.GenerateSceneRequest:
    return scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_TERRAIN, prompt=prompt, seed=seed,
                                          bounds=common_pb2.Vec3(x=256, y=40, z=256))


# -- geometry from the scene graph ------------------------------------------------------------

def box(node) -> np.ndarray:
    return np.array([[node.bounds_min.x, node.bounds_min.y, node.bounds_min.z],
                     [node.bounds_max.x, node.bounds_max.y, node.bounds_max.z]])


def gap(a: np.ndarray, b: np.ndarray, axes=(0, 1, 2)) -> float:
    """Distance between two boxes over the given axes (0 when they touch or overlap)."""
    apart = [max(a[0][i] - b[1][i], b[0][i] - a[1][i], 0.0) for i in axes]
    return math.hypot(*apart)


def overlaps(a: np.ndarray, b: np.ndarray, axes=(0, 1, 2), tolerance: float = 1e-3) -> bool:
    return all(min(a[1][i], b[1][i]) - max(a[0][i], b[0][i]) > tolerance for i in axes)


def front(node) -> np.ndarray:
    q = node.transform.rotation
    yaw = 2 * math.atan2(q.y, q.w)
    return np.array([math.sin(yaw), math.cos(yaw)])


def faces(seat, target) -> bool:
    """The ray from the seat's centre along its front meets the target's footprint."""
    centre = np.array([seat.transform.position.x, seat.transform.position.z])
    lo, hi = box(target)[0][[0, 2]], box(target)[1][[0, 2]]
    direction = front(seat)
    enter, leave = -math.inf, math.inf
    for i in range(2):
        if abs(direction[i]) < 1e-9:
            if not lo[i] <= centre[i] <= hi[i]:
                return False
            continue
        t0, t1 = sorted(((lo[i] - centre[i]) / direction[i], (hi[i] - centre[i]) / direction[i]))
        enter, leave = max(enter, t0), min(leave, t1)
    return enter <= leave and leave >= 0


def tagged(result, tag: str) -> list:
    return [n for n in result.graph.nodes if n.tag == tag]


def touches_wall(node, walls: list) -> bool:
    b = box(node)
    return any(gap(b, box(w)) <= TOUCH for w in walls)


# -- requirements -------------------------------------------------------------------------

def validity(result, bounds, hard: bool = True) -> list[dict]:
    """Collisions and bounds recomputed from the graph's boxes, reachability from the walk grid, and
    every planned object placed."""
    nodes = list(result.graph.nodes)
    objects = [n for n in nodes if n.tag in OBJECT_TAGS]
    solids = [n for n in nodes if n.tag in SOLID]
    boxes = [box(n) for n in objects]
    hits = sum(overlaps(boxes[i], boxes[j]) for i in range(len(boxes)) for j in range(i + 1, len(boxes)))
    hits += sum(overlaps(b, box(s)) for b in boxes for s in solids)
    outside = sum(bool(np.any(b[0] < -1e-3) or np.any(b[1] > np.asarray(bounds) + 1e-3)) for b in boxes)
    walk = result.walkability
    cells = np.frombuffer(walk.cells, np.uint8).reshape(walk.depth, walk.width).astype(bool)
    pieces = ndimage.label(cells)[1]
    checks = [requirement("no collisions", hits == 0, hits, "0"),
              requirement("nothing out of bounds", outside == 0, outside, "0")]
    if hard:
        checks.append(requirement("walkable floor in one reachable piece", pieces == 1 and result.quality.reachable_fraction == 1.0,
                                  f"{pieces} pieces, {result.quality.reachable_fraction:.2f} reachable", "1 piece, 1.00"))
        checks.append(requirement("every planned object placed", result.quality.objects_placed == result.quality.objects_requested,
                                  f"{result.quality.objects_placed}/{result.quality.objects_requested}", "all"))
    return checks


def named_reported(result) -> dict:
    """Every element the prompt named is placed in full or carries the reason it is not."""
    short = [f"{e.word}: {e.placed}/{e.requested}" for e in result.quality.named_elements if e.placed < e.requested and not e.note]
    return requirement("named elements placed or reported", not short, short or len(result.quality.named_elements), "none unreported")


def unplaceable_reported(result, word: str) -> dict:
    """A named element no asset stands for is in the report with a reason, not silently left out."""
    noted = [e.note for e in result.quality.named_elements if e.word == word and e.placed == 0 and e.note]
    return requirement(f"{word!r} reported as unplaceable", bool(noted), noted[0] if noted else "missing", "a reason")


def count_at_least(result, tag: str, n: int, exact: bool = False) -> dict:
    got = len(tagged(result, tag))
    return requirement(f"{'exactly' if exact else 'at least'} {n} {tag}", got == n if exact else got >= n, got, f"{'' if exact else '>='}{n}")


def bar_against_wall(result) -> list[dict]:
    bars, walls = tagged(result, "bar_counter"), tagged(result, "wall")
    touching = [b for b in bars if touches_wall(b, walls)]
    stools = [s for s in tagged(result, "stool")
              if any(gap(box(s), box(b), (0, 2)) <= REACH and faces(s, b) for b in bars)]
    return [requirement("bar counter touches a wall", bool(touching), f"{len(touching)}/{len(bars)} counters", ">=1"),
            requirement("stools in front of the bar, facing it", len(stools) >= 2, len(stools), ">=2")]


def seated_tables(result, at_least: int, exact: bool = False) -> list[dict]:
    """At least (or exactly) N tables, each with two or more chairs within reach facing it, none over it."""
    tables, chairs = tagged(result, "table"), tagged(result, "chair")
    seated = []
    for table in tables:
        t = box(table)
        seated.append(int(sum(gap(box(c), t, (0, 2)) <= REACH and faces(c, table) for c in chairs)))
    overhanging = int(sum(overlaps(box(c), box(t), (0, 2)) for c in chairs for t in tables))
    return [count_at_least(result, "table", at_least, exact),
            requirement("each table has >=2 chairs within reach facing it", bool(seated) and min(seated) >= 2, seated, ">=2 each"),
            requirement("no chair overhangs a table", overhanging == 0, overhanging, "0")]


def lights_mounted(result, height: float, on_tables_asked: bool = False) -> dict:
    """Every light hangs on a wall or from the ceiling; lamps stand on tables only when asked."""
    walls = tagged(result, "wall")
    by_id = {n.id: n for n in result.graph.nodes}
    lights = [n for n in result.graph.nodes if n.tag in LIGHTS]
    wrong = []
    for light in lights:
        on_wall = light.bounds_min.y >= MOUNTED_ABOVE and touches_wall(light, walls)
        hanging = abs(light.bounds_max.y - height) <= 1e-3
        on_table = by_id.get(light.parent_id) is not None and by_id[light.parent_id].tag == "table"
        if not (on_wall or hanging or (on_tables_asked and on_table)):
            wrong.append(light.id)
    return requirement("lights on walls or ceiling" + (" (or on tables, as asked)" if on_tables_asked else ""),
                       bool(lights) and not wrong, wrong or len(lights), ">=1 light, none misplaced")


def dungeon_props(result) -> list[dict]:
    tags = {n.tag for n in result.graph.nodes}
    furniture = sorted(tags & {"table", "chair", "bar_counter", "stool", "bed"})
    props = sorted(tags & DUNGEON_PROPS)
    walls = tagged(result, "wall")
    torches = tagged(result, "torch")
    loose = [t.id for t in torches if not (t.bounds_min.y >= MOUNTED_ABOVE and touches_wall(t, walls))]
    return [requirement("no tavern furniture", not furniture, furniture or "none", "none"),
            requirement("dungeon props", len(props) >= 3, props, ">=3 kinds"),
            requirement("torches on walls", bool(torches) and not loose, loose or len(torches), ">=1, all on walls")]


def heights_of(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hm = result.heightmap
    n = hm.resolution
    h = np.frombuffer(hm.raw_float32, "<f4").reshape(n, n).astype(float)
    water = np.frombuffer(hm.water_float32, "<f4").reshape(n, n).astype(float)
    slope = np.degrees(np.arctan(np.hypot(*np.gradient(h, hm.cell_size))))
    return h, slope, water


def median_slope(result, below: float | None = None, above: float | None = None) -> dict:
    _, slope, _ = heights_of(result)
    median = float(np.median(slope))
    met = (below is None or median < below) and (above is None or median > above)
    want = f"<{below:g}" if below is not None else f">{above:g}"
    return requirement("median slope (degrees)", met, round(median, 1), want)


def river(result) -> list[dict]:
    """Water runs across the tile from its west edge to its east edge, in a channel below its banks."""
    h, _, water = heights_of(result)
    wet = water > 0
    labels, count = ndimage.label(wet)
    crossing = any((labels[:, 0] == k).any() and (labels[:, -1] == k).any() for k in range(1, count + 1))
    # The channel's bed against the ground 12 samples either side of it, column by column.
    drops = []
    for col in range(0, h.shape[1], 8):
        rows = np.nonzero(wet[:, col])[0]
        if len(rows):
            banks = [h[max(rows.min() - 12, 0), col], h[min(rows.max() + 12, h.shape[0] - 1), col]]
            drops.append(min(banks) - h[rows, col].min())
    drop = float(np.median(drops)) if drops else 0.0
    return [requirement("river crosses the tile", crossing, f"{count} water bodies", "west to east"),
            requirement("river runs in a carved channel (m below banks)", drop >= 1.0, round(drop, 2), ">=1")]


def lake(result) -> list[dict]:
    """A connected body of still water (one level) covering a real share of the tile, its bed below it."""
    h, _, water = heights_of(result)
    wet = water > 0
    share = float(wet.mean())
    flat = float(np.ptp(water[wet])) if wet.any() else math.inf
    depth = float((water[wet] - h[wet]).max()) if wet.any() else 0.0
    return [requirement("lake covers the tile (share)", share >= 0.03, round(share, 3), ">=0.03"),
            requirement("lake surface is level (m)", flat < 1e-3, round(flat, 4), "<0.001"),
            requirement("lake has depth (m)", depth >= 1.0, round(depth, 2), ">=1")]


def nothing_in_water(result) -> dict:
    h, _, water = heights_of(result)
    cell = result.heightmap.cell_size
    wet = [n.id for n in result.graph.nodes if n.tag in OBJECT_TAGS
           and water[min(int(round(n.transform.position.z / cell)), len(h) - 1), min(int(round(n.transform.position.x / cell)), len(h) - 1)] > 0]
    return requirement("nothing scattered in the water", not wet, wet or 0, "0")


# -- the cases ------------------------------------------------------------------------------

def interior_cases() -> list[tuple[str, scene_pb2.GenerateSceneRequest, Callable]]:
    def tavern(tables: int, exact: bool = False, extra=()):
        return lambda r, h: bar_against_wall(r) + seated_tables(r, tables, exact) + [lights_mounted(r, h)] + [f(r) for f in extra]

    return [
        ("interior", interior("a cosy tavern with a bar and tables", (10, 3, 8), 3), tavern(2)),
        ("interior", interior("a tavern with three tables and a fireplace", (12, 3.5, 9), 1),
         tavern(3, exact=True, extra=[lambda r: count_at_least(r, "fireplace", 1)])),
        ("interior", interior("a busy inn with a bar, five tables and lanterns", (16, 3.5, 12), 2, doors=2),
         tavern(5, exact=True, extra=[lambda r: count_at_least(r, "wall_lamp", 2)])),
        ("interior", interior("a small tavern", (7, 3, 6), 4), tavern(1)),
        ("interior", interior("a bedroom with a bed, a wardrobe and a chest", (5, 3, 4), 1),
         lambda r, h: [count_at_least(r, "bed", 1, True), count_at_least(r, "wardrobe", 1, True), count_at_least(r, "chest", 1, True),
                       lights_mounted(r, h)]),
        ("interior", interior("a library with shelves and two tables", (9, 3.2, 7), 2),
         lambda r, h: [count_at_least(r, "shelf", 4)] + seated_tables(r, 2, exact=True) + [lights_mounted(r, h)]),
        ("interior", interior("a kitchen with a stove and a table", (6, 3, 5), 3),
         lambda r, h: [count_at_least(r, "stove", 1, True), count_at_least(r, "counter", 1)] + seated_tables(r, 1, exact=True)),
        ("interior", interior("a shop with a counter and display cases", (8, 3, 6), 5),
         lambda r, h: [count_at_least(r, "counter", 1, True), count_at_least(r, "display_case", 2), count_at_least(r, "shelf", 2),
                       lights_mounted(r, h)]),
        ("interior", interior("a chapel with an altar and pews", (8, 4, 12), 6),
         lambda r, h: [count_at_least(r, "altar", 1, True), count_at_least(r, "pew", 4), lights_mounted(r, h),
                       requirement("altar against a wall", all(touches_wall(a, tagged(r, "wall")) for a in tagged(r, "altar")),
                                   len(tagged(r, "altar")), "all")]),
        ("interior", interior("a dining hall with two long tables and a fireplace", (14, 4, 10), 7, doors=2),
         lambda r, h: seated_tables(r, 2, exact=True) + [count_at_least(r, "fireplace", 1, True), lights_mounted(r, h)]),
        ("interior", interior("a study with a desk and bookshelves", (5, 3, 4), 8),
         lambda r, h: [count_at_least(r, "table", 1, True), count_at_least(r, "shelf", 2), count_at_least(r, "chair", 1)]),
        ("interior", interior("a bedroom with two table lamps", (5, 3, 4), 9),
         lambda r, h: [count_at_least(r, "bed", 1), count_at_least(r, "table_lamp", 2, True), lights_mounted(r, h, on_tables_asked=True)]),
        ("interior", interior("a throne room with a throne and two braziers", (12, 4, 10), 11),
         lambda r, h: [count_at_least(r, "brazier", 2, True), unplaceable_reported(r, "throne")]),
        ("interior", interior("a storeroom with crates and barrels", (6, 2.6, 5), 10),
         lambda r, h: [count_at_least(r, "crate", 2), count_at_least(r, "barrel", 2),
                       requirement("no tables or beds", not {n.tag for n in r.graph.nodes} & ROOM_FURNITURE, "", "none")]),
    ]


def dungeon_cases() -> list:
    return [
        ("dungeon", dungeon("a dungeon", 1), lambda r, h: dungeon_props(r)),
        ("dungeon", dungeon("a damp crypt full of bones", 2, caves=True), lambda r, h: dungeon_props(r) + [count_at_least(r, "bones", 2)]),
        ("dungeon", dungeon("a dungeon with treasure chests and torches", 3), lambda r, h: dungeon_props(r) + [count_at_least(r, "chest", 2)]),
        ("dungeon", dungeon("an old prison", 4, cells=40), lambda r, h: dungeon_props(r)),
    ]


def terrain_cases() -> list:
    return [
        ("terrain", terrain("rolling hills", 1), lambda r, h: [median_slope(r, below=12)]),
        ("terrain", terrain("mountainous terrain with rocks", 2), lambda r, h: [median_slope(r, above=22)]),
        ("terrain", terrain("flat plains", 3), lambda r, h: [median_slope(r, below=4)]),
        ("terrain", terrain("a forest with a river", 4), lambda r, h: river(r) + [nothing_in_water(r)]),
        ("terrain", terrain("rolling hills with a lake", 5), lambda r, h: lake(r) + [median_slope(r, below=12), nothing_in_water(r)]),
        ("terrain", terrain("a river winding through rolling hills", 6), lambda r, h: river(r) + [median_slope(r, below=12)]),
    ]


def validate_glbs(glbs: list[bytes]) -> list[int] | None:
    """Khronos glTF validator error counts, one per GLB, from one node process; None without the validator."""
    if not VALIDATOR.exists() or shutil.which("node") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, glb in enumerate(glbs):
            path = Path(folder) / f"{i}.glb"
            path.write_bytes(glb)
            paths.append(str(path))
        run = subprocess.run(["node", "-e", VALIDATE, str(VALIDATOR), *paths], capture_output=True, check=True, timeout=300)
    return json.loads(run.stdout)


def cases(make: Make = generate) -> list[dict]:
    """Every case's outcome: its prompt's requirements, validity, and the GLB through the validator."""
    outcomes, glbs = [], []
    for domain, request, checks in interior_cases() + dungeon_cases() + terrain_cases():
        result = make(request)
        bounds = (request.bounds.x, request.bounds.y, request.bounds.z)
        reqs = checks(result, request.bounds.y) + [named_reported(result)]
        reqs += validity(result, bounds, hard=request.kind != scene_pb2.SCENE_KIND_TERRAIN)
        outcomes.append(outcome("scenes", f"{domain}: {request.prompt}", reqs))
        glbs.append(result.glb_preview)
    errors = validate_glbs(glbs)
    if errors is not None:
        for found, case in zip(errors, outcomes):
            case["requirements"].append(requirement("GLB passes the Khronos validator", found == 0, found, "0 errors"))
    return outcomes


async def cases_through_planner(engine) -> tuple[list[dict], list[str]]:
    """Every case through SceneService with `engine` (a started text generator) as its planner model, as a server
    with `scenes.planner_model` set runs them: (outcomes, the planner each scene's plan came from)."""
    cpu = FunctionEngine()
    await cpu.start()
    service = SceneService(ScenesConfig(planner_model="planner"), cpu, planner_provider=lambda: engine)
    loop = asyncio.get_running_loop()
    planners = []

    async def call(request):
        events = [event async for event in service.GenerateScene(request, CallContext())]
        planners.append(json.loads(events[-1].result.plan_json)["planner"])
        return events[-1].result

    def make(request):  # the suite is plain code: it waits for each scene on this loop from its own thread
        return asyncio.run_coroutine_threadsafe(call(request), loop).result()

    try:
        return await asyncio.to_thread(cases, make), planners
    finally:
        await cpu.stop()


if __name__ == "__main__":
    for case in cases():
        missed = [f"{r['name']} ({r['value']}, want {r['want']})" for r in case["requirements"] if not r["met"]]
        print(f"{sum(r['met'] for r in case['requirements'])}/{len(case['requirements'])}  {case['prompt']}")
        for miss in missed:
            print("    MISSED", miss)
