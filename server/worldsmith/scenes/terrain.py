"""Terrain generator: fBm heightmap (or the prompt's landform), hydraulic erosion, rivers and lakes, slope and
height splat map, Poisson-disk scatter.

Tiles stitch: heights come from world sample indices, erosion runs over the tile plus an apron
and fades out towards the tile's edges, so two neighbouring tiles share their edge samples (and
the samples either side of them) exactly. Scatter points come from a world-anchored jittered grid,
so a neighbour makes the same choices along the seam.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import Callable

import numpy as np
from PIL import Image

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes.grid import FloorGrid, components
from worldsmith.scenes.landforms import RELIEFS, carve_lake, carve_river, read_landform, relief_heights
from worldsmith.scenes.noise import fbm, key_of, uniform
from worldsmith.scenes.nodes import box_node
from worldsmith.scenes.parts import SceneParts, spawn_point, walk_grid
from worldsmith.scenes.plan import Plan
from worldsmith.scenes.preview import terrain_mesh
from worldsmith.scenes.spec import SceneSpec

APRON = 16                  # samples of extra terrain around the tile that erosion sees
FEATURE_SAMPLES = 4         # the finest octave's wavelength, in samples
MAX_WALK_SLOPE = 40.0       # degrees
# Erosion constants (per iteration, heights in metres): rain, sediment capacity, erosion and
# deposition rates, evaporation.
RAIN, CAPACITY, ERODE, DEPOSIT, EVAPORATE, FLOW_RATE = 0.005, 2.0, 0.3, 0.3, 0.05, 0.25


def generate_terrain(spec: SceneSpec, plan: Plan, progress: Callable[[str, int, int], None],
                     check_stop: Callable[[], None]) -> SceneParts:
    params = spec.terrain
    n, extent, scale = params.resolution, spec.width, params.height_scale
    cell = extent / (n - 1)
    origin = (params.tile_x * extent, params.tile_z * extent)

    # 1. fBm over the tile and its apron, sampled at world sample indices.
    progress("heightmap", 0, 1)
    cols = params.tile_x * (n - 1) - APRON + np.arange(n + 2 * APRON)
    rows = params.tile_z * (n - 1) - APRON + np.arange(n + 2 * APRON)
    base_wavelength = (n - 1) / 2
    octaves = max(1, min(8, int(math.log2(base_wavelength / FEATURE_SAMPLES)) + 1))
    landform = read_landform(spec.prompt)
    if landform.relief:
        relief = RELIEFS[landform.relief]
        octaves = relief.octaves
        raw = relief_heights(relief, cols, rows, n, cell, scale, spec.seed)
    else:
        noise = fbm(cols.astype(float), rows.astype(float), base_wavelength, octaves, spec.seed)
        raw = np.clip(0.5 + 0.8 * noise, 0.0, 1.0) ** 1.3 * scale
    progress("heightmap", 1, 1)
    check_stop()

    # 2. Hydraulic erosion, faded out towards the tile's edges.
    eroded = erode(raw, cell, params.erosion_iterations, lambda step, total: (progress("erosion", step, total), check_stop()))
    fade = _edge_fade(n)
    heights_ext = raw + fade * (eroded - raw)

    # 3. Water the prompt asks for: a river's channel across the tile, a lake's basin in its middle.
    world_x, world_z = cols * cell, rows * cell
    bodies = {}  # kind -> water surface on the extended grid (NaN where dry)
    if landform.river:
        heights_ext, bodies["river"] = carve_river(heights_ext, raw, world_x, world_z, params.tile_z, extent, cell, scale, spec.seed)
    if landform.lake:
        heights_ext, bodies["lake"] = carve_lake(heights_ext, (origin[0] + extent / 2, origin[1] + extent / 2), world_x, world_z,
                                                 extent, scale, spec.seed)
    slope_ext = np.degrees(np.arctan(np.hypot(*np.gradient(heights_ext, cell))))
    inner = slice(APRON, APRON + n)
    heights, slope = heights_ext[inner, inner], slope_ext[inner, inner]
    bodies = {kind: surface[inner, inner] for kind, surface in bodies.items()}
    water = np.fmax.reduce(list(bodies.values())) if bodies else np.full(heights.shape, np.nan)
    wet = np.isfinite(water)

    # 3. Splat map and heightmap images.
    progress("splat", 0, 1)
    splat = splat_weights(heights / scale, slope)
    heightmap = scene_pb2.Heightmap(
        resolution=n, cell_size=cell, height_scale=scale,
        png16=_png(np.round(np.clip(heights / scale, 0, 1) * 65535).astype(np.uint16)),
        raw_float32=heights.astype("<f4").tobytes(), splat_png=_png(splat),
        water_png=_png(np.where(wet, 255, 0).astype(np.uint8)), water_float32=np.where(wet, water, 0.0).astype("<f4").tobytes(),
    )
    progress("splat", 1, 1)
    check_stop()

    # 4. Scatter the plan's assets by slope and height.
    progress("scatter", 0, 1)
    terrain = box_node("terrain", "terrain", (origin[0] + extent / 2, 0.0, origin[1] + extent / 2), (extent, scale, extent),
                       properties={"resolution": n, "cell_size": cell, "height_scale": scale,
                                   "tile_x": params.tile_x, "tile_z": params.tile_z})
    spacing = scatter_spacing(spec, plan)
    scattered = scatter(spec, plan, heights, slope, cell, origin, spacing, wet)
    progress("scatter", 1, 1)

    # 5. Walkability on the samples: gentle slopes not under a scattered object.
    grid = FloorGrid(origin[0] - cell / 2, origin[1] - cell / 2, cell, n, n)
    walkable = (slope <= MAX_WALK_SLOPE) & ~wet
    for node in scattered:
        walkable[grid.cells_under(node.bounds_min.x, node.bounds_max.x, node.bounds_min.z, node.bounds_max.z)] = False
    spawn = _spawn_cell(walkable)
    waters = water_nodes(bodies, grid)
    tallest = max((a.size.y for a in spec.catalog.assets), default=0.0)
    return SceneParts(
        nodes=[terrain] + waters + scattered,
        walk=walk_grid(grid, walkable),
        spawn_points=[spawn_point("spawn", grid, spawn, float(heights[spawn]))],
        entrances=[spawn],
        extent_min=(origin[0], 0.0, origin[1]), extent_max=(origin[0] + extent, scale + tallest, origin[1] + extent),
        objects_requested=plan.total,
        heightmap=heightmap,
        terrain_mesh=terrain_mesh(heights, cell, origin, splat, wet) if spec.preview else None,
        hard_rules=False,
        parameters={"octaves": octaves, "scatter_spacing": spacing, "landform": landform.relief or "default"},
        named_elements=landform_report(landform, slope, waters),
    )


def water_nodes(bodies: dict[str, np.ndarray], grid: FloorGrid) -> list[scene_pb2.SceneNode]:
    """A flat "water" node per river or lake, over the samples it covers, at its mean surface height."""
    nodes = []
    for kind, surface in bodies.items():
        rows, cols = np.nonzero(np.isfinite(surface))
        if not len(rows):
            continue
        x0, z0 = grid.centre_of(rows.min(), cols.min())
        x1, z1 = grid.centre_of(rows.max(), cols.max())
        nodes.append(box_node(f"{kind}-0", "water", ((x0 + x1) / 2, float(surface[rows, cols].mean()), (z0 + z1) / 2),
                              (x1 - x0, 0.0, z1 - z0), parent_id="terrain", properties={"kind": kind, "samples": int(len(rows))}))
    return nodes


def landform_report(landform, slope: np.ndarray, water: list[scene_pb2.SceneNode]) -> list[scene_pb2.NamedElement]:
    """The prompt's landform words, each measured: the relief's median slope against what its word
    accepts, a river across the tile, a lake in it."""
    report = []
    if landform.relief:
        low, high = RELIEFS[landform.relief].accepted
        median = float(np.median(slope))
        met = low <= median <= high
        note = "" if met else (f"the median slope is {median:.1f} degrees, outside {low:g}-{high:g}; "
                               + ("raise bounds.y or terrain.height_scale" if median < low else "lower terrain.height_scale"))
        report.append(scene_pb2.NamedElement(word=landform.relief_word, tag=landform.relief, requested=1, placed=int(met), note=note))
    for word, kind in ((landform.river, "river"), (landform.lake, "lake")):
        if word:
            made = sum(node.properties["kind"] == kind for node in water)
            report.append(scene_pb2.NamedElement(word=word, tag=kind, requested=1, placed=min(1, made),
                                                 note="" if made else f"no {kind} fits this tile"))
    return report


def erode(heights: np.ndarray, cell: float, iterations: int, progress: Callable[[int, int], None]) -> np.ndarray:
    """Grid hydraulic erosion: rain falls, water runs downhill to its four neighbours in proportion
    to the drop, digs sediment where it runs fast and steep and drops it where it slows, then
    evaporates. Vectorised over the whole grid; edges are closed. Water never digs deeper than half
    the drop to its lowest neighbour, which keeps the simulation stable at any relief."""
    h = heights.astype(np.float32)
    water = np.zeros_like(h)
    sediment = np.zeros_like(h)
    rain = np.float32(RAIN * max(1e-6, float(heights.max() - heights.min())))
    for step in range(iterations):
        water += rain
        drops = _drops(h + water)
        total_drop = drops[0] + drops[1] + drops[2] + drops[3]
        outflow = np.minimum(water, total_drop) * np.float32(FLOW_RATE)
        share = np.divide(outflow, total_drop, out=np.zeros_like(h), where=total_drop > 0)
        # Faster, steeper water carries more; the surplus settles and the shortfall is dug out.
        ground_drop = np.maximum.reduce(_drops(h))
        steepness = ground_drop / np.hypot(ground_drop, np.float32(cell))
        capacity = np.float32(CAPACITY) * outflow * np.maximum(steepness, np.float32(0.01))
        surplus = capacity - sediment
        change = np.where(surplus > 0, np.minimum(np.float32(ERODE) * surplus, ground_drop / 2), np.float32(DEPOSIT) * surplus)
        h -= change
        sediment += change
        carried = np.divide(sediment, water, out=np.zeros_like(h), where=water > 0)
        moves = [drop * share for drop in drops]
        water += _received(moves) - outflow
        sediment += _received([move * carried for move in moves]) - outflow * carried
        water *= np.float32(1 - EVAPORATE)
        if (step + 1) % 10 == 0 or step + 1 == iterations:
            progress(step + 1, iterations)
    return (h + sediment).astype(np.float64)


def _drops(level: np.ndarray) -> list[np.ndarray]:
    """How far each cell stands above its +x, -x, +z and -z neighbours (0 if below; 0 off the grid)."""
    east, west, south, north = (np.zeros_like(level) for _ in range(4))
    across = level[:, :-1] - level[:, 1:]
    np.maximum(across, 0, out=east[:, :-1])
    np.maximum(-across, 0, out=west[:, 1:])
    down = level[:-1, :] - level[1:, :]
    np.maximum(down, 0, out=south[:-1, :])
    np.maximum(-down, 0, out=north[1:, :])
    return [east, west, south, north]


def _received(moves: list[np.ndarray]) -> np.ndarray:
    """What each cell receives when cells send moves[0] east, [1] west, [2] south and [3] north."""
    east, west, south, north = moves
    received = np.zeros_like(east)
    received[:, 1:] += east[:, :-1]
    received[:, :-1] += west[:, 1:]
    received[1:, :] += south[:-1, :]
    received[:-1, :] += north[1:, :]
    return received


def _edge_fade(n: int) -> np.ndarray:
    """0 within a sample of the tile's edge (and in the apron), rising smoothly to 1 inside."""
    index = np.arange(n + 2 * APRON) - APRON
    distance = np.minimum(index, n - 1 - index).astype(float)
    t = np.clip((distance - 1) / (APRON - 1), 0.0, 1.0)
    ramp = t * t * (3 - 2 * t)
    return np.minimum(ramp[:, None], ramp[None, :])


def splat_weights(height01: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """RGBA bytes summing to 255: grass, rock on steep slopes, sand low down, snow up high."""
    def smooth(lo, hi, v):
        t = np.clip((v - lo) / (hi - lo), 0, 1)
        return t * t * (3 - 2 * t)

    rock = smooth(30.0, 40.0, slope)
    snow = smooth(0.72, 0.82, height01) * (1 - rock)
    sand = (1 - smooth(0.10, 0.16, height01)) * (1 - rock) * (1 - snow)
    channels = np.stack([np.zeros_like(rock), rock, sand, snow], axis=-1)
    quantised = np.round(channels * 255)
    quantised[..., 0] = 255 - quantised[..., 1:].sum(axis=-1)
    return np.clip(quantised, 0, 255).astype(np.uint8)


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def scatter_spacing(spec: SceneSpec, plan: Plan) -> float:
    """The requested spacing, or one that lets about the plan's count through; never so tight that
    two footprints could touch, whatever their turn."""
    assets = spec.assets
    widest = max((math.hypot(assets[i.tag].size.x, assets[i.tag].size.z) for i in plan.items), default=0.0)
    wanted = spec.terrain.scatter_spacing or spec.width * 0.55 / math.sqrt(max(plan.total, 1))
    return max(wanted, math.sqrt(2) * widest, 0.5)


def scatter(spec: SceneSpec, plan: Plan, heights: np.ndarray, slope: np.ndarray, cell: float,
            origin: tuple[float, float], spacing: float, wet: np.ndarray | None = None) -> list[scene_pb2.SceneNode]:
    """Poisson-disk scatter by priority: one jittered candidate per world cell of `spacing`, kept
    only if no candidate within `spacing` outranks it, so any two kept points are at least `spacing`
    apart. Each kept point takes an asset whose height and slope rules allow it there, by the plan's
    counts, until every count is met."""
    if not plan.items:
        return []
    extent = spec.width
    assets = spec.assets
    k0x, k1x = math.floor(origin[0] / spacing) - 1, math.floor((origin[0] + extent) / spacing) + 2
    k0z, k1z = math.floor(origin[1] / spacing) - 1, math.floor((origin[1] + extent) / spacing) + 2
    kx = np.arange(k0x, k1x)[None, :]
    kz = np.arange(k0z, k1z)[:, None]
    x = (kx + uniform(kx, kz, key_of(spec.seed, 1))) * spacing
    z = (kz + uniform(kx, kz, key_of(spec.seed, 2))) * spacing
    rank = uniform(kx, kz, key_of(spec.seed, 3))
    kept = np.ones(rank.shape, bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            nx, nz, nrank = (_shifted(a, dr, dc) for a in (x, z, rank))
            close = np.hypot(x - nx, z - nz) < spacing
            kept &= ~(close & (nrank > rank))
    order = np.argsort(-rank[kept], kind="stable")
    xs, zs, picks = x[kept][order], z[kept][order], uniform(kx, kz, key_of(spec.seed, 4))[kept][order]
    yaws = uniform(kx, kz, key_of(spec.seed, 5))[kept][order] * 2 * math.pi

    left = {item.tag: item.count for item in plan.items}
    numbered: Counter = Counter()
    nodes = []
    for px, pz, pick, yaw in zip(xs, zs, picks, yaws):
        if not any(left.values()):
            break
        u, v = (px - origin[0]) / cell, (pz - origin[1]) / cell
        if not (0 <= u <= heights.shape[1] - 1 and 0 <= v <= heights.shape[0] - 1):
            continue
        if wet is not None and wet[min(int(round(v)), wet.shape[0] - 1), min(int(round(u)), wet.shape[1] - 1)]:
            continue  # nothing stands in the water
        h, s = _bilinear(heights, u, v), _bilinear(slope, u, v)
        h01 = h / spec.terrain.height_scale
        fits = [tag for tag in sorted(left) if left[tag] > 0 and s <= assets[tag].max_slope_degrees
                and assets[tag].min_height <= h01 <= assets[tag].max_height]
        if not fits:
            continue
        weights = np.cumsum([left[tag] for tag in fits], dtype=float)
        tag = fits[int(np.searchsorted(weights, pick * weights[-1], side="right"))]
        size = assets[tag].size
        c, sn = abs(math.cos(yaw)), abs(math.sin(yaw))
        half_x, half_z = (c * size.x + sn * size.z) / 2, (sn * size.x + c * size.z) / 2
        if not (origin[0] + half_x <= px <= origin[0] + extent - half_x and origin[1] + half_z <= pz <= origin[1] + extent - half_z):
            continue  # its footprint would cross into the neighbouring tile
        nodes.append(box_node(f"{tag}-{numbered[tag]}", tag, (float(px), float(h), float(pz)),
                              (size.x, size.y, size.z), yaw=float(yaw), parent_id="terrain"))
        numbered[tag] += 1
        left[tag] -= 1
    return nodes


def _shifted(a: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """a[r + dr, c + dc]; outside the array reads as a far-away, low-ranked candidate."""
    out = np.full(a.shape, -np.inf if a.dtype.kind == "f" else 0, dtype=a.dtype)
    rows, cols = a.shape
    out[max(-dr, 0):rows + min(-dr, 0), max(-dc, 0):cols + min(-dc, 0)] = a[max(dr, 0):rows + min(dr, 0), max(dc, 0):cols + min(dc, 0)]
    return out


def _bilinear(a: np.ndarray, u: float, v: float) -> float:
    c0, r0 = min(int(u), a.shape[1] - 2), min(int(v), a.shape[0] - 2)
    fu, fv = u - c0, v - r0
    top = a[r0, c0] * (1 - fu) + a[r0, c0 + 1] * fu
    bottom = a[r0 + 1, c0] * (1 - fu) + a[r0 + 1, c0 + 1] * fu
    return float(top * (1 - fv) + bottom * fv)


def _spawn_cell(walkable: np.ndarray) -> tuple[int, int]:
    """The walkable sample nearest the tile's centre within its largest walkable region."""
    labels, count = components(walkable)
    n = walkable.shape[0]
    if count == 0:
        return n // 2, n // 2
    largest = 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    rows, cols = np.nonzero(labels == largest)
    i = int(np.argmin((rows - n // 2) ** 2 + (cols - n // 2) ** 2))
    return int(rows[i]), int(cols[i])
