"""Procedural material presets: each a painter over periodic noise and patterns, with named parameters.

A painter reads top to bottom: lay out the pattern, shape the height, colour it, then
roughness and metal. Everything it draws is periodic over the canvas, so the material tiles
by construction and its height is a true height field, not a guess from colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from worldsmith.textures import noise
from worldsmith.textures.canvas import Canvas, mix, shade, smoothstep, unit
from worldsmith.textures.pbr import LUMA, Surface

Colour = tuple[float, float, float]
# Moss in the light and in the shade of its own clumps.
MOSS = (0.24, 0.29, 0.11)
MOSS_SHADE = (0.11, 0.15, 0.05)
GRASS_SHADE = (0.06, 0.12, 0.05)
GRASS_TIP = (0.45, 0.50, 0.20)
STRAW = (0.62, 0.55, 0.32)
RUST = (0.48, 0.25, 0.11)
RUST_SCALE = (0.26, 0.14, 0.08)


@dataclass(frozen=True)
class Parameter:
    """A preset's knob: a number in [low, high] (whole numbers when `integer`) or an RGB colour."""

    default: float | Colour
    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    description: str = ""

    @property
    def is_colour(self) -> bool:
        return isinstance(self.default, tuple)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    # Nouns pick the preset; adjectives ("wooden", "rocky") only when no noun matched (see
    # prompt.py). Singular forms: prompts are singularised before they are looked up.
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    parameters: dict[str, Parameter]
    paint: Callable[[Canvas, dict, np.random.Generator], Surface]
    # The parameter "large" and "small" in a prompt scale (how many features per tile).
    frequency: str = ""
    metallic: float = 0.0

    @property
    def keywords(self) -> tuple[str, ...]:
        return self.nouns + self.adjectives

    def defaults(self) -> dict:
        return {name: parameter.default for name, parameter in self.parameters.items()}


def _common(colour: Colour, roughness: float, bump: float, **specific: Parameter) -> dict[str, Parameter]:
    return {
        "color": Parameter(colour, description="base colour, sRGB in [0, 1] or #rrggbb"),
        **specific,
        "roughness": Parameter(roughness, 0.02, 1.0, description="base roughness"),
        "bump": Parameter(bump, 0.0, 0.2, description="relief depth as a fraction of the tile width"),
    }


# -- bricks ------------------------------------------------------------------------------
def paint_bricks(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    v, u = canvas.coordinates()
    rows = canvas.repeats(2 * max(1, round(p["rows"] / 2)), 0)  # running bond repeats every two rows
    columns = canvas.repeats(int(p["columns"]), 1)
    # Layout: every other row shifted by half a brick; the tile's edges run through brick
    # faces (mid-course, a quarter brick from the joints), never along a joint.
    course = v * rows + 0.5
    row = np.floor(course)
    within_v = course - row
    run = u * columns + 0.5 * (row % 2) + 0.25
    column = np.floor(run)
    within_u = run - column
    brick_aspect = (canvas.width / columns) / (canvas.height / rows)
    edge = np.minimum(np.minimum(within_u, 1 - within_u) * brick_aspect, np.minimum(within_v, 1 - within_v))
    # Worn bricks lose their corners unevenly.
    grain = noise.fbm(rng, canvas.shape, canvas.cells(48), octaves=3)
    edge = edge + p["wear"] * 0.05 * grain
    face = smoothstep(p["mortar"] / 2, p["mortar"] / 2 + 0.06, edge)
    # Height: proud faces with a little relief and rounded arrises, sunken mortar.
    surface_noise = noise.fbm(rng, canvas.shape, canvas.cells(12), octaves=4)
    arris = smoothstep(p["mortar"] / 2, p["mortar"] / 2 + 0.2, edge)
    height = face * (0.65 + 0.1 * arris + 0.06 * surface_noise) + (1 - face) * (0.1 + 0.03 * grain)
    # Colour: each brick its own lightness and warmth around the one clay colour, a few
    # over-fired ones darker; sandy speckle and pits on the faces, mortar flecked.
    brick_id, bricks_total = _cell_ids(row, column, canvas.cells_along(rows, 0), canvas.cells_along(columns, 1))
    tone = np.clip(1 + p["variation"] * rng.standard_normal(bricks_total), 0.5, 1.5).astype(np.float32)
    tone = np.where(rng.random(bricks_total) < 0.06, tone * 0.6, tone).astype(np.float32)
    warmth = rng.uniform(-1, 1, bricks_total).astype(np.float32)[brick_id]
    speckle = noise.value(rng, canvas.shape, canvas.cells(80))
    pits = smoothstep(1.6, 2.4, -speckle)
    texture = 1 + 0.07 * surface_noise + 0.05 * grain + 0.05 * speckle - 0.3 * pits
    brick = shade(p["color"], tone[brick_id] * texture) * _warmth(warmth, 0.07)
    mortar = shade(p["mortar_color"], 1 + 0.06 * grain + 0.04 * speckle)
    albedo = mix(mortar, brick, face)
    height = height - 0.04 * pits * face
    crevice = 1 - smoothstep(p["mortar"] / 2, p["mortar"] / 2 + 0.25, edge)
    albedo, roughness, height = _moss(canvas, rng, albedo, p["roughness"] + 0.1 * (1 - face), height, crevice,
                                      p["moss"], p["columns"] * 2)
    return Surface(albedo, unit(height), roughness, 0.0, p["bump"])


BRICKS = Preset(
    "bricks", "running-bond brick wall with mortar joints",
    nouns=("brick", "brickwork", "masonry", "stonework"), adjectives=("bricked",),
    parameters=_common(
        (0.50, 0.25, 0.17), 0.85, 0.03,
        mortar_color=Parameter((0.64, 0.62, 0.57), description="joint colour"),
        rows=Parameter(12, 2, 64, integer=True, description="courses per tile (made even)"),
        columns=Parameter(4, 1, 32, integer=True, description="bricks per course"),
        mortar=Parameter(0.12, 0.0, 0.4, description="joint width as a fraction of a brick's height"),
        variation=Parameter(0.12, 0.0, 1.0, description="brick-to-brick tone variation"),
        wear=Parameter(0.3, 0.0, 1.0, description="chipped edges"),
        moss=Parameter(0.0, 0.0, 1.0, description="moss in the joints"),
    ),
    paint=paint_bricks, frequency="rows",
)


# -- tiles -------------------------------------------------------------------------------
def paint_tiles(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    v, u = canvas.coordinates()
    columns = canvas.repeats(int(p["count"]), 1)
    rows = canvas.repeats(max(1, round(p["count"] * canvas.aspect)), 0)
    # The tile's edges run through the middle of tiles, never along the grout.
    across, down = u * columns + 0.5, v * rows + 0.5
    column, row = np.floor(across), np.floor(down)
    within_u, within_v = across - column, down - row
    edge = np.minimum(np.minimum(within_u, 1 - within_u), np.minimum(within_v, 1 - within_v))
    face = smoothstep(p["grout"] / 2, p["grout"] / 2 + p["bevel"] + 1e-3, edge)
    glaze = noise.fbm(rng, canvas.shape, canvas.cells(6), octaves=4)
    height = face * (0.8 + 0.02 * glaze) + (1 - face) * 0.1
    tile_id, tiles_total = _cell_ids(row, column, canvas.cells_along(rows, 0), canvas.cells_along(columns, 1))
    tone = 1 + p["variation"] * rng.standard_normal(tiles_total).astype(np.float32)
    tile = shade(p["color"], tone[tile_id] * (1 + 0.03 * glaze))
    grout = shade(p["grout_color"], 1 + 0.05 * noise.fbm(rng, canvas.shape, canvas.cells(32), octaves=2))
    albedo = mix(grout, tile, face)
    roughness = p["roughness"] + (1 - face) * 0.6 + p["wear"] * 0.15 * np.abs(glaze)
    return Surface(albedo, unit(height), np.clip(roughness, 0.02, 1.0), 0.0, p["bump"])


TILES = Preset(
    "tiles", "square glazed ceramic tiles with grout",
    nouns=("tile", "ceramic", "porcelain", "bathroom", "kitchen"), adjectives=("tiled",),
    parameters=_common(
        (0.86, 0.86, 0.83), 0.2, 0.015,
        grout_color=Parameter((0.45, 0.43, 0.40), description="grout colour"),
        count=Parameter(4, 1, 32, integer=True, description="tiles across the tile width"),
        grout=Parameter(0.04, 0.0, 0.3, description="grout width as a fraction of a tile"),
        bevel=Parameter(0.03, 0.0, 0.2, description="rounded tile edges"),
        variation=Parameter(0.05, 0.0, 1.0, description="tile-to-tile tone variation"),
        wear=Parameter(0.2, 0.0, 1.0, description="dull patches on the glaze"),
    ),
    paint=paint_tiles, frequency="count",
)


# -- planks ------------------------------------------------------------------------------
def paint_planks(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    v, u = canvas.coordinates()
    boards = canvas.repeats(int(p["planks"]), 0)
    length = canvas.repeats(int(p["length"]), 1)
    # Layout: long horizontal boards; the tile's top and bottom edges run along the middle
    # of a board, and each course's end joints are offset from its neighbours'.
    course = v * boards + 0.5
    row = np.floor(course)
    within_v = course - row
    courses_total = canvas.cells_along(boards, 0)
    stagger = _staggered_offsets(rng, courses_total, canvas.tile_y)
    run = u * length + stagger[row.astype(np.int64)[:, 0] % courses_total][:, None]
    column = np.floor(run)
    within_u = run - column
    board_aspect = (canvas.width / length) / (canvas.height / boards)
    edge = np.minimum(np.minimum(within_u, 1 - within_u) * board_aspect, np.minimum(within_v, 1 - within_v))
    face = smoothstep(p["gap"] / 2, p["gap"] / 2 + 0.015, edge)
    bevel = smoothstep(p["gap"] / 2, p["gap"] / 2 + 0.08, edge)
    board_id, boards_total = _cell_ids(row, column, courses_total, canvas.cells_along(length, 1))
    # Grain: growth rings cut lengthwise are lines along the board, a few across its width,
    # drifting slowly along it; pores are fine streaks along it too. Both are stretched
    # fields: many lattice cells down the tile, few along the boards.
    rows_cells, columns_cells = canvas.cells(1)
    along = columns_cells * int(p["length"])
    drift = noise.fbm(rng, canvas.shape, (rows_cells * int(p["planks"]), along * 3), octaves=3)
    fine_drift = noise.value(rng, canvas.shape, (rows_cells * int(p["planks"]) * 2, along * 8))
    pores = noise.value(rng, canvas.shape, (rows_cells * int(p["planks"]) * 16, along * 4))
    # Each board was cut from its own log: its own ring spacing and where the rings start.
    phase = rng.random(boards_total).astype(np.float32)[board_id]
    spacing = rng.uniform(0.7, 1.3, boards_total).astype(np.float32)[board_id]
    rings = within_v * p["rings"] * spacing + 0.7 * drift + 0.08 * fine_drift + 7 * phase
    latewood = (0.5 + 0.5 * np.cos(2 * np.pi * rings)) ** 4
    fine_rings = (0.5 + 0.5 * np.cos(2 * np.pi * 3 * rings)) ** 2
    figure = p["grain"] * (0.4 * latewood + 0.15 * fine_rings + 0.15 * pores)
    # Colour: one wood colour per floor; boards differ in tone and a little in warmth.
    tone = np.clip(1 + p["variation"] * rng.standard_normal(boards_total), 0.6, 1.4).astype(np.float32)[board_id]
    warmth = rng.uniform(-1, 1, boards_total).astype(np.float32)[board_id]
    wood = shade(p["color"], tone * (1 + 0.06 * pores) * (1 - 0.45 * figure)) * _warmth(warmth, 0.04)
    wood = wood * (0.8 + 0.2 * bevel)
    if p["wear"] > 0:
        # Weathering bleaches wood towards silver-grey, most where the grain is soft.
        silver = np.tensordot(LUMA, wood, axes=1) * 1.1
        wood = mix(wood, silver[None], p["wear"] * (0.55 + 0.25 * (1 - latewood)))
    joint = np.asarray(p["color"], np.float32) * 0.35
    albedo = mix(joint, wood, face)
    height = bevel * (0.85 - 0.04 * figure) + 0.05
    roughness = p["roughness"] + 0.12 * figure + 0.3 * (1 - face)
    return Surface(albedo, unit(height), np.clip(roughness, 0.02, 1.0), 0.0, p["bump"])


def _staggered_offsets(rng: np.random.Generator, courses: int, wraps: bool) -> np.ndarray:
    """Each course's joint offset, a fraction of a board's length: joints keep a tenth of a
    board away from the tile's side edges, and a fifth of a board from the neighbouring
    courses' joints (the last course's neighbours include the first where the axis tiles)."""
    offsets: list[float] = []
    for course in range(courses):
        neighbours = offsets[-1:] + (offsets[:1] if wraps and course == courses - 1 else [])
        for _ in range(64):
            candidate = float(0.1 + 0.8 * rng.random())
            if all(abs(candidate - other) >= 0.2 for other in neighbours):
                break
        offsets.append(candidate)
    return np.asarray(offsets, np.float32)


PLANKS = Preset(
    "planks", "wooden floor boards with grain, rings and staggered joints",
    nouns=("plank", "floorboard", "board", "parquet", "wood", "timber", "lumber", "hardwood", "deck", "decking",
           "boardwalk"),
    adjectives=("wooden", "wood-panelled", "oak", "oaken", "pine", "walnut", "mahogany", "birch", "cherry", "ebony",
                "teak", "maple", "cedar", "ash", "beech", "spruce"),
    parameters=_common(
        (0.55, 0.38, 0.22), 0.6, 0.015,
        planks=Parameter(6, 1, 32, integer=True, description="boards across the tile height"),
        length=Parameter(1, 1, 8, integer=True, description="boards along the tile width"),
        gap=Parameter(0.03, 0.0, 0.3, description="joint width as a fraction of a board's width"),
        grain=Parameter(0.7, 0.0, 1.0, description="strength of grain and rings"),
        rings=Parameter(6, 1, 24, description="growth-ring lines across a board"),
        variation=Parameter(0.1, 0.0, 1.0, description="board-to-board tone variation"),
        wear=Parameter(0.0, 0.0, 1.0, description="weathering: bleached towards silver-grey"),
    ),
    paint=paint_planks, frequency="planks",
)


# -- cobblestone -------------------------------------------------------------------------
def paint_cobblestone(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    # Layout: one stone per jittered cell; F2 - F1 is the distance to the joint.
    nearest, second, stone_id = noise.cellular(rng, canvas.shape, canvas.cells(p["stones"]), jitter=0.75)
    joint = second - nearest
    face = smoothstep(p["gap"] / 2 - 0.05, p["gap"] / 2 + 0.1, joint)
    # Height: domed stones with chipped surfaces, sunk into their joints.
    chips = noise.fbm(rng, canvas.shape, canvas.cells(p["stones"] * 6), octaves=3)
    dome = np.sqrt(np.clip(joint - p["gap"] / 2, 0.0, 1.0) * 2)
    height = smoothstep(p["gap"] / 2 - 0.02, p["gap"] / 2 + 0.2, joint) * (0.45 + 0.45 * np.clip(dome, 0, 1) + 0.04 * chips)
    height = height + 0.06 + 0.02 * chips
    # Colour: each stone its own lightness and a small warm or cool shift of the one base
    # colour (grey to brown-grey), grain speckle, grime darkening towards the joint.
    stones_total = int(np.max(stone_id)) + 1
    lightness = np.clip(1 + p["variation"] * rng.standard_normal(stones_total), 0.55, 1.45).astype(np.float32)
    warmth = rng.uniform(-0.4, 1, stones_total).astype(np.float32)[stone_id]
    speckle = noise.fbm(rng, canvas.shape, canvas.cells(p["stones"] * 12), octaves=2)
    mottle = noise.fbm(rng, canvas.shape, canvas.cells(p["stones"] * 3), octaves=3)
    grime = 0.72 + 0.28 * smoothstep(p["gap"] / 2, p["gap"] / 2 + 0.3, joint)
    brightness = lightness[stone_id] * (1 + 0.07 * speckle + 0.05 * mottle) * grime
    stone = shade(p["color"], brightness) * _warmth(warmth, 0.05)
    joint_fill = shade(p["mortar_color"], 1 + 0.15 * chips)
    albedo = mix(joint_fill, stone, face)
    crevice = 1 - smoothstep(p["gap"] / 2, p["gap"] / 2 + 0.15, joint)
    roughness = p["roughness"] + 0.1 * crevice + 0.05 * chips
    albedo, roughness, height = _moss(canvas, rng, albedo, roughness, height, crevice, p["moss"], p["stones"])
    return Surface(albedo, unit(height), roughness, 0.0, p["bump"])


COBBLESTONE = Preset(
    "cobblestone", "rounded stones set in dirt joints",
    # "stones" (not "stone", which is rock): loose stones set together are cobbles.
    nouns=("cobblestone", "cobble", "paving", "pavement", "paver", "flagstone", "sett", "stones"),
    adjectives=("cobbled", "paved"),
    parameters=_common(
        (0.50, 0.47, 0.43), 0.8, 0.05,
        mortar_color=Parameter((0.25, 0.21, 0.17), description="joint colour"),
        stones=Parameter(6, 1, 64, description="stones across the tile width"),
        gap=Parameter(0.16, 0.0, 0.6, description="joint width in stone sizes"),
        variation=Parameter(0.15, 0.0, 1.0, description="stone-to-stone colour variation"),
        moss=Parameter(0.0, 0.0, 1.0, description="moss in the joints"),
    ),
    paint=paint_cobblestone, frequency="stones",
)


# -- rock --------------------------------------------------------------------------------
def paint_rock(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    cells = canvas.cells(p["scale"])
    crests = noise.ridged(rng, canvas.shape, cells, octaves=5)
    body = noise.fbm(rng, canvas.shape, cells, octaves=6)
    height = unit(p["ridges"] * unit(crests) + (1 - p["ridges"]) * unit(body))
    strata = noise.fbm(rng, canvas.shape, canvas.cells(p["scale"] * 2), octaves=4)
    speckle = noise.fbm(rng, canvas.shape, canvas.cells(p["scale"] * 24), octaves=2)
    blend = np.clip(0.5 + 0.3 * strata + 0.8 * (height - 0.5), 0, 1)
    # Crevices hold shadow and grime: darker the lower they lie.
    albedo = mix(p["color2"], p["color"], blend) * ((0.7 + 0.45 * height) * (1 + 0.12 * speckle))
    albedo, roughness, height = _moss(canvas, rng, albedo, p["roughness"], height, smoothstep(0.45, 0.15, height),
                                      p["moss"], p["scale"] * 3)
    return Surface(albedo, height, roughness, 0.0, p["bump"])


ROCK = Preset(
    "rock", "ridged fractal rock face",
    nouns=("rock", "stone", "cliff", "granite", "boulder", "basalt", "slate", "limestone", "sandstone", "cave",
           "crag"),
    adjectives=("rocky", "stony"),
    parameters=_common(
        (0.50, 0.48, 0.45), 0.9, 0.06,
        color2=Parameter((0.28, 0.26, 0.24), description="colour of the crevices and darker strata"),
        scale=Parameter(3, 1, 32, description="large features across the tile width"),
        ridges=Parameter(0.6, 0.0, 1.0, description="sharp ridges (1) versus rounded lumps (0)"),
        moss=Parameter(0.0, 0.0, 1.0, description="moss in the hollows"),
    ),
    paint=paint_rock, frequency="scale",
)


# -- grass -------------------------------------------------------------------------------
def paint_grass(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    # Blades seen from above: dense specks of light (tips) over shadow, leaning a little
    # one way (stretched lattices), in clumps.
    rows, columns = canvas.cells(p["density"])
    upright = noise.value(rng, canvas.shape, (rows, columns))
    leaning = noise.value(rng, canvas.shape, (rows, columns * 2))
    tips = np.maximum(upright, 0.8 * leaning)
    clumps = noise.fbm(rng, canvas.shape, canvas.cells(6), octaves=4)
    patches = noise.fbm(rng, canvas.shape, canvas.cells(3), octaves=3)
    height = unit(0.7 * smoothstep(-1.0, 1.8, tips) + 0.3 * smoothstep(-2, 2, clumps))
    # Colour: deep blue-green in the shade, the base green on the blades, yellower at the tips.
    lit = smoothstep(0.2, 0.9, height)
    green = mix(mix(GRASS_SHADE, p["color"], smoothstep(0.0, 0.5, height)), GRASS_TIP, 0.35 * lit)
    dry = smoothstep(1.3 - 1.3 * p["dry"], 1.5 - p["dry"], patches * 0.3 + 0.5)
    albedo = mix(green, shade(STRAW, 0.7 + 0.5 * height), dry)
    soil = smoothstep(0.3, 0.0, height + (1 - p["dirt"]) * 0.5 + 0.2 * clumps)
    albedo = mix(albedo, shade((0.30, 0.23, 0.15), 1 + 0.1 * clumps), soil)
    return Surface(albedo, height, p["roughness"], 0.0, p["bump"])


GRASS = Preset(
    "grass", "dense grass seen from above, with dry patches and soil",
    nouns=("grass", "lawn", "meadow", "turf", "field", "moss", "sward", "pasture"), adjectives=("grassy",),
    parameters=_common(
        (0.22, 0.36, 0.11), 0.9, 0.04,
        density=Parameter(48, 4, 256, description="blades across the tile width"),
        dry=Parameter(0.0, 0.0, 1.0, description="straw-coloured patches"),
        dirt=Parameter(0.1, 0.0, 1.0, description="bare soil showing through"),
    ),
    paint=paint_grass, frequency="density",
)


# -- metal -------------------------------------------------------------------------------
def paint_metal(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    rows_cells, columns_cells = canvas.cells(2)
    # Brushing: streaks that vary fast down the tile and slowly across it.
    brush = noise.value(rng, canvas.shape, (rows_cells * 96, columns_cells * 8))
    fine = noise.fbm(rng, canvas.shape, canvas.cells(64), octaves=2)
    scratches = smoothstep(0.8, 1.0, noise.ridged(rng, canvas.shape, canvas.cells(8), octaves=1))
    height = unit(0.02 * p["brushed"] * brush + 0.01 * fine - 0.01 * p["scratches"] * scratches)
    sheen = 1 + 0.06 * p["brushed"] * brush + 0.02 * fine + 0.25 * p["scratches"] * scratches
    albedo = shade(p["color"], sheen)
    roughness = p["roughness"] + 0.1 * p["brushed"] * np.abs(brush) - 0.15 * p["scratches"] * scratches
    metallic = np.ones(canvas.shape, np.float32)
    if p["rust"] > 0:
        blotches = noise.fbm(rng, canvas.shape, canvas.cells(4), octaves=6) + 0.4 * fine
        threshold = 1.7 - 3.0 * p["rust"]
        rust = smoothstep(threshold, threshold + 0.6, blotches)
        # Orange bloom at the edges of a patch, dark scale where it is oldest.
        flakes = noise.fbm(rng, canvas.shape, canvas.cells(16), octaves=3)
        age = smoothstep(threshold + 0.3, threshold + 1.5, blotches + 0.3 * flakes)
        albedo = mix(albedo, mix(RUST, RUST_SCALE, age) * (1 + 0.15 * flakes), rust)
        roughness = roughness + rust * 0.6
        metallic = 1 - rust
        height = unit(height + 0.3 * rust * (0.5 + 0.5 * fine))
    return Surface(albedo, height, np.clip(roughness, 0.02, 1.0), metallic, p["bump"])


METAL = Preset(
    "metal", "brushed metal plate with scratches and optional rust",
    nouns=("metal", "steel", "iron", "aluminium", "aluminum", "chrome", "copper", "bronze", "brass", "tin", "gold",
           "silver", "plate", "sheet"),
    adjectives=("metallic", "brushed", "rusty", "rusted"),
    parameters=_common(
        (0.62, 0.63, 0.65), 0.35, 0.004,
        brushed=Parameter(0.6, 0.0, 1.0, description="directional brushing"),
        scratches=Parameter(0.3, 0.0, 1.0, description="fine bright scratches"),
        rust=Parameter(0.0, 0.0, 1.0, description="rust patches (not metallic, rough)"),
    ),
    paint=paint_metal, metallic=1.0,
)


# -- dirt --------------------------------------------------------------------------------
def paint_dirt(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    lumps = noise.fbm(rng, canvas.shape, canvas.cells(p["scale"]), octaves=6)
    nearest, _, pebble_id = noise.cellular(rng, canvas.shape, canvas.cells(p["scale"] * 6))
    radius = 0.45 * p["pebbles"]
    pebble = smoothstep(radius, radius * 0.4, nearest) if radius > 0 else np.zeros_like(nearest)
    height = unit(0.6 * unit(lumps) + 0.4 * pebble)
    # Soil: damp and darker in the hollows, mottled at two scales, crumbs on top.
    mottling = noise.fbm(rng, canvas.shape, canvas.cells(p["scale"] * 3), octaves=4)
    crumbs = noise.fbm(rng, canvas.shape, canvas.cells(p["scale"] * 16), octaves=2)
    soil = mix(p["color2"], p["color"], np.clip(0.35 + 0.2 * mottling + 0.45 * height + 0.1 * crumbs, 0, 1))
    pebble_tone = 0.7 + 0.3 * rng.random(int(pebble_id.max()) + 1).astype(np.float32)[pebble_id]
    albedo = mix(soil, shade((0.55, 0.52, 0.48), pebble_tone), pebble)
    return Surface(albedo, height, p["roughness"], 0.0, p["bump"])


DIRT = Preset(
    "dirt", "soil with lumps and scattered pebbles",
    nouns=("dirt", "soil", "mud", "earth", "gravel", "clay", "dust", "loam"), adjectives=("muddy", "dusty", "earthy"),
    parameters=_common(
        (0.42, 0.31, 0.20), 0.95, 0.03,
        color2=Parameter((0.26, 0.19, 0.12), description="darker soil"),
        scale=Parameter(4, 1, 32, description="lumps across the tile width"),
        pebbles=Parameter(0.3, 0.0, 1.0, description="pebble size and coverage"),
    ),
    paint=paint_dirt, frequency="scale",
)


# -- marble ------------------------------------------------------------------------------
def paint_marble(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    v, u = canvas.coordinates()
    veins = int(p["veins"])
    across, down = canvas.repeats(veins, 1), canvas.repeats(max(1, veins // 2), 0)
    # Domain warp: a diagonal sine with whole periods per tile, pushed around by fBm.
    turbulence = noise.fbm(rng, canvas.shape, canvas.cells(2), octaves=6)
    wave = np.sin(np.pi * (u * across + v * down + p["warp"] * turbulence + rng.random()))
    # A thin dark core in a soft halo, fading in and out along its length.
    presence = smoothstep(-0.8, 0.8, noise.fbm(rng, canvas.shape, canvas.cells(3), octaves=4))
    vein = (np.exp(-((wave / 0.05) ** 2)) + 0.35 * np.exp(-((wave / 0.3) ** 2))) * presence
    fine = noise.ridged(rng, canvas.shape, canvas.cells(5), octaves=3) ** 8
    cloud = noise.fbm(rng, canvas.shape, canvas.cells(2), octaves=5)
    veining = np.clip(vein + 0.4 * fine, 0, 1)
    albedo = mix(shade(p["color"], 1 + 0.03 * cloud), p["vein_color"], veining)
    height = 0.5 + 0.02 * cloud - 0.05 * veining
    return Surface(albedo, unit(height), p["roughness"], 0.0, p["bump"])


MARBLE = Preset(
    "marble", "polished marble with warped veins",
    # Ice: a polished pale surface veined with cracks; its colour comes from prompt.MATERIALS.
    nouns=("marble", "ice"), adjectives=("marbled",),
    parameters=_common(
        (0.92, 0.91, 0.88), 0.12, 0.004,
        vein_color=Parameter((0.35, 0.35, 0.38), description="vein colour"),
        veins=Parameter(3, 1, 16, integer=True, description="main veins across the tile"),
        warp=Parameter(0.6, 0.0, 2.0, description="how far the veins wander"),
    ),
    paint=paint_marble, frequency="veins",
)


# -- sand --------------------------------------------------------------------------------
def paint_sand(canvas: Canvas, p: dict, rng: np.random.Generator) -> Surface:
    v, _ = canvas.coordinates()
    drift = noise.fbm(rng, canvas.shape, canvas.cells(2), octaves=4)
    ripple = np.sin(2 * np.pi * (v * canvas.repeats(int(p["ripples"]), 0) + 0.5 * drift + rng.random()))
    ripple = 0.5 + 0.5 * np.sign(ripple) * np.abs(ripple) ** 0.7
    grains = noise.value(rng, canvas.shape, canvas.cells(256))
    height = unit(0.85 * ripple + 0.15 * (0.5 + 0.2 * grains))
    albedo = shade(p["color"], 0.9 + 0.15 * height + 0.05 * grains + 0.04 * drift)
    return Surface(albedo, height, p["roughness"], 0.0, p["bump"])


SAND = Preset(
    "sand", "wind-rippled sand",
    # Snow drifts in the same ripples; its colour comes from prompt.MATERIALS.
    nouns=("sand", "desert", "beach", "dune", "snow", "snowfield", "snowdrift"), adjectives=("sandy",),
    parameters=_common(
        (0.82, 0.70, 0.50), 0.95, 0.02,
        ripples=Parameter(10, 1, 64, integer=True, description="ripples down the tile"),
    ),
    paint=paint_sand, frequency="ripples",
)


def _cell_ids(row: np.ndarray, column: np.ndarray, rows: int, columns: int) -> tuple[np.ndarray, int]:
    """Flat ids of a grid layout's cells (bricks, tiles, boards), wrapping around the canvas."""
    ids = (row.astype(np.int64) % rows) * columns + column.astype(np.int64) % columns
    return ids, rows * columns


def _warmth(shift: np.ndarray, strength: float) -> np.ndarray:
    """Per-pixel multipliers that move a colour towards warm (shift 1: redder, less blue) or
    cool (-1), by `strength`: natural variation that stays in one hue family."""
    return np.stack([1 + strength * shift, np.ones_like(shift), 1 - 1.3 * strength * shift])


def _moss(canvas: Canvas, rng: np.random.Generator, albedo: np.ndarray, roughness, height: np.ndarray,
          crevice: np.ndarray, amount: float, features: float):
    """Moss grown from the crevices (1 in a crack, 0 on an open face) outwards as `amount`
    rises, in patches along them: darker and greener than what it covers, rougher, and a
    little proud of the crack it fills."""
    if amount <= 0:
        return albedo, np.clip(roughness, 0.02, 1.0), height
    patches = noise.fbm(rng, canvas.shape, canvas.cells(max(2.0, features / 2)), octaves=4)
    tufts = noise.fbm(rng, canvas.shape, canvas.cells(features * 12), octaves=3)
    growth = crevice + 0.5 * amount - 0.75 + 0.3 * patches + 0.1 * tufts
    cover = smoothstep(0.0, 0.12, growth)
    tone = smoothstep(-1.2, 1.2, noise.fbm(rng, canvas.shape, canvas.cells(features * 2), octaves=3) + 0.5 * tufts)
    moss = mix(MOSS_SHADE, MOSS, tone) * (1 + 0.18 * tufts)
    albedo = mix(albedo, moss, cover)
    height = height + cover * (0.04 + 0.02 * tufts) * (1 - height)
    return albedo, np.clip(roughness + 0.15 * cover, 0.02, 1.0), height


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (BRICKS, TILES, PLANKS, COBBLESTONE, ROCK, GRASS, METAL, DIRT, MARBLE, SAND)
}
FALLBACK = "rock"
