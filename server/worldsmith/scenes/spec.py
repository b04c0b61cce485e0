"""Reading a GenerateSceneRequest: every field checked, every default resolved, into a SceneSpec."""

from __future__ import annotations

import math
from dataclasses import dataclass

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes.catalog import check_catalog, default_catalog

MAX_PROMPT_CHARS = 2000

# Interiors: a door is 0.9 x 2.1 m and needs 0.3 m of wall beside it, so rooms start at 2 x 2.2 x 2 m.
DOOR_WIDTH, DOOR_HEIGHT = 0.9, 2.1
MIN_ROOM_SIDE, MAX_ROOM_SIDE = 2.0, 100.0
MIN_ROOM_HEIGHT, MAX_ROOM_HEIGHT = 2.2, 20.0
MAX_DOORS, MAX_WINDOWS = 8, 16

DEFAULT_CELL_SIZE = 2.0
MIN_CELL_SIZE, MAX_CELL_SIZE = 1.0, 10.0
MIN_DUNGEON_CELLS, MAX_DUNGEON_CELLS = 16, 512
DEFAULT_MIN_ROOM_CELLS = 4

DEFAULT_TERRAIN_RESOLUTION = 257
MIN_TERRAIN_RESOLUTION, MAX_TERRAIN_RESOLUTION = 17, 1025
DEFAULT_EROSION_ITERATIONS = 50
MAX_EROSION_ITERATIONS = 500
MAX_TILE_INDEX = 1_000_000

KINDS = {
    scene_pb2.SCENE_KIND_INTERIOR: "interior",
    scene_pb2.SCENE_KIND_DUNGEON: "dungeon",
    scene_pb2.SCENE_KIND_TERRAIN: "terrain",
}


@dataclass(frozen=True)
class InteriorSpec:
    doors: int
    windows: int
    object_count: int  # 0: the planner decides


@dataclass(frozen=True)
class DungeonSpec:
    algorithm: str  # "bsp" | "caves"
    width_cells: int
    depth_cells: int
    cell_size: float
    min_room_cells: int
    furnish: bool


@dataclass(frozen=True)
class TerrainSpec:
    resolution: int
    height_scale: float
    erosion_iterations: int
    tile_x: int
    tile_z: int
    scatter_spacing: float  # 0: from the tile size and the object budget


@dataclass(frozen=True)
class SceneSpec:
    """A checked request with its defaults filled in: what the planners and generators read."""

    kind: str
    prompt: str
    width: float   # x, metres
    height: float  # y, metres
    depth: float   # z, metres
    seed: int
    catalog: scene_pb2.AssetCatalog
    max_objects: int
    preview: bool
    interior: InteriorSpec | None = None
    dungeon: DungeonSpec | None = None
    terrain: TerrainSpec | None = None

    @property
    def assets(self) -> dict[str, scene_pb2.CatalogAsset]:
        return {asset.tag: asset for asset in self.catalog.assets}

    def catalog_index(self, tag: str) -> int:
        return next(i for i, asset in enumerate(self.catalog.assets) if asset.tag == tag)


def read_request(request: scene_pb2.GenerateSceneRequest, max_objects: int) -> SceneSpec:
    """Check the request and resolve its defaults; raise InvalidArgument naming every bad field."""
    kind = KINDS.get(request.kind)
    if kind is None:
        raise InvalidArgument("kind", "must be SCENE_KIND_INTERIOR, SCENE_KIND_DUNGEON or SCENE_KIND_TERRAIN")
    violations: list[tuple[str, str]] = []
    if len(request.prompt) > MAX_PROMPT_CHARS:
        violations.append(("prompt", f"is {len(request.prompt)} characters; the limit is {MAX_PROMPT_CHARS}"))
    bounds = request.bounds
    if not all(math.isfinite(v) and v > 0 for v in (bounds.x, bounds.y, bounds.z)):
        violations.append(("bounds", f"must be positive in x, y and z (metres), got {bounds.x:g} x {bounds.y:g} x {bounds.z:g}, "
                                     "e.g. bounds {x: 8, y: 3, z: 6} for a room"))
    given = request.WhichOneof("parameters")
    if given is not None and given != kind:
        violations.append((given, f"was given for a {kind} scene; send {kind} parameters or none"))
    catalog = request.catalog if request.catalog.assets else default_catalog()
    violations += check_catalog(catalog)
    if violations:
        raise InvalidArgument.many(violations)

    common = dict(kind=kind, prompt=request.prompt, width=bounds.x, height=bounds.y, depth=bounds.z, seed=request.seed,
                  catalog=catalog, max_objects=max_objects, preview=not request.skip_preview)
    if kind == "interior":
        return SceneSpec(**common, interior=_read_interior(request, max_objects))
    if kind == "dungeon":
        return SceneSpec(**common, dungeon=_read_dungeon(request))
    return SceneSpec(**common, terrain=_read_terrain(request))


def _raise_if(violations: list[tuple[str, str]]) -> None:
    if violations:
        raise InvalidArgument.many(violations)


def _read_interior(request: scene_pb2.GenerateSceneRequest, max_objects: int) -> InteriorSpec:
    params, bounds = request.interior, request.bounds
    violations = []
    for axis, value in (("x", bounds.x), ("z", bounds.z)):
        if not MIN_ROOM_SIDE <= value <= MAX_ROOM_SIDE:
            violations.append((f"bounds.{axis}", f"a room side must be {MIN_ROOM_SIDE:g} to {MAX_ROOM_SIDE:g} m, got {value:g}"))
    if not MIN_ROOM_HEIGHT <= bounds.y <= MAX_ROOM_HEIGHT:
        violations.append(("bounds.y", f"the room height must be {MIN_ROOM_HEIGHT:g} to {MAX_ROOM_HEIGHT:g} m "
                                       f"(a door is {DOOR_HEIGHT:g} m high), got {bounds.y:g}"))
    if params.doors > MAX_DOORS:
        violations.append(("interior.doors", f"at most {MAX_DOORS}, got {params.doors}"))
    if params.windows > MAX_WINDOWS:
        violations.append(("interior.windows", f"at most {MAX_WINDOWS}, got {params.windows}"))
    if params.object_count > max_objects:
        violations.append(("interior.object_count", f"at most {max_objects} (the server's scenes.max_objects), got {params.object_count}"))
    _raise_if(violations)
    # Every room has an entrance: reachability is measured from it.
    return InteriorSpec(doors=max(1, params.doors), windows=params.windows, object_count=params.object_count)


def _read_dungeon(request: scene_pb2.GenerateSceneRequest) -> DungeonSpec:
    params, bounds = request.dungeon, request.bounds
    violations = []
    cell = params.cell_size or (bounds.x / params.width_cells if params.width_cells else DEFAULT_CELL_SIZE)
    if not MIN_CELL_SIZE <= cell <= MAX_CELL_SIZE:
        # A corridor is one cell wide and must let a walking agent through.
        raise InvalidArgument("dungeon.cell_size", f"must be {MIN_CELL_SIZE:g} to {MAX_CELL_SIZE:g} m (0: {DEFAULT_CELL_SIZE:g} m, "
                                                   f"or bounds.x / width_cells), got {cell:g}")
    width = params.width_cells or int(bounds.x / cell + 1e-6)
    depth = params.depth_cells or int(bounds.z / cell + 1e-6)
    for name, cells, extent in (("width_cells", width, bounds.x), ("depth_cells", depth, bounds.z)):
        if not MIN_DUNGEON_CELLS <= cells <= MAX_DUNGEON_CELLS:
            violations.append((f"dungeon.{name}", f"the grid must be {MIN_DUNGEON_CELLS} to {MAX_DUNGEON_CELLS} cells per side, "
                                                  f"got {cells} ({extent:g} m of bounds at {cell:g} m per cell)"))
        elif cells * cell > extent * (1 + 1e-5):
            violations.append((f"dungeon.{name}", f"{cells} cells of {cell:g} m make {cells * cell:g} m, more than the bounds' {extent:g} m"))
    if bounds.y < 2.0:
        violations.append(("bounds.y", f"the ceiling must be at least 2 m, got {bounds.y:g}"))
    algorithm = {scene_pb2.DUNGEON_ALGORITHM_UNSPECIFIED: "bsp", scene_pb2.DUNGEON_ALGORITHM_BSP: "bsp",
                 scene_pb2.DUNGEON_ALGORITHM_CAVES: "caves"}.get(params.algorithm)
    if algorithm is None:
        violations.append(("dungeon.algorithm", "must be DUNGEON_ALGORITHM_BSP or DUNGEON_ALGORITHM_CAVES"))
    min_room = params.min_room_cells or DEFAULT_MIN_ROOM_CELLS
    largest_room = (min(width, depth) - 2) // 2
    if algorithm == "bsp" and not 3 <= min_room <= largest_room:
        violations.append(("dungeon.min_room_cells", f"must be 3 to {largest_room} for a {width} x {depth} grid "
                                                     f"(two rooms and their walls must fit), got {min_room}"))
    _raise_if(violations)
    return DungeonSpec(algorithm=algorithm, width_cells=width, depth_cells=depth, cell_size=cell,
                       min_room_cells=min_room, furnish=params.furnish)


def _read_terrain(request: scene_pb2.GenerateSceneRequest) -> TerrainSpec:
    params, bounds = request.terrain, request.bounds
    violations = []
    if abs(bounds.x - bounds.z) > 1e-4 * max(bounds.x, bounds.z):
        violations.append(("bounds", f"terrain tiles are square: x and z must match, got {bounds.x:g} and {bounds.z:g}"))
    resolution = params.resolution or DEFAULT_TERRAIN_RESOLUTION
    if not MIN_TERRAIN_RESOLUTION <= resolution <= MAX_TERRAIN_RESOLUTION:
        violations.append(("terrain.resolution", f"must be {MIN_TERRAIN_RESOLUTION} to {MAX_TERRAIN_RESOLUTION} samples per side, got {resolution}"))
    if params.height_scale < 0 or not math.isfinite(params.height_scale):
        violations.append(("terrain.height_scale", f"must be positive metres (0: bounds.y), got {params.height_scale:g}"))
    if params.erosion_iterations > MAX_EROSION_ITERATIONS:
        violations.append(("terrain.erosion_iterations", f"at most {MAX_EROSION_ITERATIONS}, got {params.erosion_iterations}"))
    for name, value in (("tile_x", params.tile_x), ("tile_z", params.tile_z)):
        if abs(value) > MAX_TILE_INDEX:
            violations.append((f"terrain.{name}", f"must be within +-{MAX_TILE_INDEX}, got {value}"))
    if params.scatter_spacing < 0 or (params.scatter_spacing and params.scatter_spacing < 0.5):
        violations.append(("terrain.scatter_spacing", f"must be at least 0.5 m (0: automatic), got {params.scatter_spacing:g}"))
    _raise_if(violations)
    return TerrainSpec(resolution=resolution, height_scale=params.height_scale or bounds.y,
                       erosion_iterations=params.erosion_iterations or DEFAULT_EROSION_ITERATIONS,
                       tile_x=params.tile_x, tile_z=params.tile_z, scatter_spacing=params.scatter_spacing)
