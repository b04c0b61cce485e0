from google.protobuf import struct_pb2 as _struct_pb2
from worldsmith._proto.worldsmith.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SceneKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCENE_KIND_UNSPECIFIED: _ClassVar[SceneKind]
    SCENE_KIND_INTERIOR: _ClassVar[SceneKind]
    SCENE_KIND_DUNGEON: _ClassVar[SceneKind]
    SCENE_KIND_TERRAIN: _ClassVar[SceneKind]

class Placement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLACEMENT_UNSPECIFIED: _ClassVar[Placement]
    PLACEMENT_AGAINST_WALL: _ClassVar[Placement]
    PLACEMENT_CENTER: _ClassVar[Placement]
    PLACEMENT_ON_TOP_OF: _ClassVar[Placement]
    PLACEMENT_ON_WALL: _ClassVar[Placement]
    PLACEMENT_CEILING: _ClassVar[Placement]

class RelationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_KIND_UNSPECIFIED: _ClassVar[RelationKind]
    RELATION_KIND_NEAR: _ClassVar[RelationKind]
    RELATION_KIND_FACING: _ClassVar[RelationKind]
    RELATION_KIND_SEATED_AT: _ClassVar[RelationKind]

class DungeonAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DUNGEON_ALGORITHM_UNSPECIFIED: _ClassVar[DungeonAlgorithm]
    DUNGEON_ALGORITHM_BSP: _ClassVar[DungeonAlgorithm]
    DUNGEON_ALGORITHM_CAVES: _ClassVar[DungeonAlgorithm]
SCENE_KIND_UNSPECIFIED: SceneKind
SCENE_KIND_INTERIOR: SceneKind
SCENE_KIND_DUNGEON: SceneKind
SCENE_KIND_TERRAIN: SceneKind
PLACEMENT_UNSPECIFIED: Placement
PLACEMENT_AGAINST_WALL: Placement
PLACEMENT_CENTER: Placement
PLACEMENT_ON_TOP_OF: Placement
PLACEMENT_ON_WALL: Placement
PLACEMENT_CEILING: Placement
RELATION_KIND_UNSPECIFIED: RelationKind
RELATION_KIND_NEAR: RelationKind
RELATION_KIND_FACING: RelationKind
RELATION_KIND_SEATED_AT: RelationKind
DUNGEON_ALGORITHM_UNSPECIFIED: DungeonAlgorithm
DUNGEON_ALGORITHM_BSP: DungeonAlgorithm
DUNGEON_ALGORITHM_CAVES: DungeonAlgorithm

class Relation(_message.Message):
    __slots__ = ("kind", "target_tag", "distance")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_TAG_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    kind: RelationKind
    target_tag: str
    distance: float
    def __init__(self, kind: _Optional[_Union[RelationKind, str]] = ..., target_tag: _Optional[str] = ..., distance: _Optional[float] = ...) -> None: ...

class CatalogAsset(_message.Message):
    __slots__ = ("tag", "size", "placement", "on_top_of", "relations", "clearance_front", "min_count", "max_count", "min_height", "max_height", "max_slope_degrees", "mount_height")
    TAG_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    ON_TOP_OF_FIELD_NUMBER: _ClassVar[int]
    RELATIONS_FIELD_NUMBER: _ClassVar[int]
    CLEARANCE_FRONT_FIELD_NUMBER: _ClassVar[int]
    MIN_COUNT_FIELD_NUMBER: _ClassVar[int]
    MAX_COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MAX_SLOPE_DEGREES_FIELD_NUMBER: _ClassVar[int]
    MOUNT_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    tag: str
    size: _common_pb2.Vec3
    placement: Placement
    on_top_of: str
    relations: _containers.RepeatedCompositeFieldContainer[Relation]
    clearance_front: float
    min_count: int
    max_count: int
    min_height: float
    max_height: float
    max_slope_degrees: float
    mount_height: float
    def __init__(self, tag: _Optional[str] = ..., size: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., placement: _Optional[_Union[Placement, str]] = ..., on_top_of: _Optional[str] = ..., relations: _Optional[_Iterable[_Union[Relation, _Mapping]]] = ..., clearance_front: _Optional[float] = ..., min_count: _Optional[int] = ..., max_count: _Optional[int] = ..., min_height: _Optional[float] = ..., max_height: _Optional[float] = ..., max_slope_degrees: _Optional[float] = ..., mount_height: _Optional[float] = ...) -> None: ...

class AssetCatalog(_message.Message):
    __slots__ = ("assets",)
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    assets: _containers.RepeatedCompositeFieldContainer[CatalogAsset]
    def __init__(self, assets: _Optional[_Iterable[_Union[CatalogAsset, _Mapping]]] = ...) -> None: ...

class InteriorParameters(_message.Message):
    __slots__ = ("doors", "windows", "object_count")
    DOORS_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    doors: int
    windows: int
    object_count: int
    def __init__(self, doors: _Optional[int] = ..., windows: _Optional[int] = ..., object_count: _Optional[int] = ...) -> None: ...

class DungeonParameters(_message.Message):
    __slots__ = ("algorithm", "width_cells", "depth_cells", "cell_size", "min_room_cells", "furnish")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    WIDTH_CELLS_FIELD_NUMBER: _ClassVar[int]
    DEPTH_CELLS_FIELD_NUMBER: _ClassVar[int]
    CELL_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_ROOM_CELLS_FIELD_NUMBER: _ClassVar[int]
    FURNISH_FIELD_NUMBER: _ClassVar[int]
    algorithm: DungeonAlgorithm
    width_cells: int
    depth_cells: int
    cell_size: float
    min_room_cells: int
    furnish: bool
    def __init__(self, algorithm: _Optional[_Union[DungeonAlgorithm, str]] = ..., width_cells: _Optional[int] = ..., depth_cells: _Optional[int] = ..., cell_size: _Optional[float] = ..., min_room_cells: _Optional[int] = ..., furnish: _Optional[bool] = ...) -> None: ...

class TerrainParameters(_message.Message):
    __slots__ = ("resolution", "height_scale", "erosion_iterations", "tile_x", "tile_z", "scatter_spacing")
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_SCALE_FIELD_NUMBER: _ClassVar[int]
    EROSION_ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    TILE_X_FIELD_NUMBER: _ClassVar[int]
    TILE_Z_FIELD_NUMBER: _ClassVar[int]
    SCATTER_SPACING_FIELD_NUMBER: _ClassVar[int]
    resolution: int
    height_scale: float
    erosion_iterations: int
    tile_x: int
    tile_z: int
    scatter_spacing: float
    def __init__(self, resolution: _Optional[int] = ..., height_scale: _Optional[float] = ..., erosion_iterations: _Optional[int] = ..., tile_x: _Optional[int] = ..., tile_z: _Optional[int] = ..., scatter_spacing: _Optional[float] = ...) -> None: ...

class GenerateSceneRequest(_message.Message):
    __slots__ = ("kind", "prompt", "bounds", "seed", "interior", "dungeon", "terrain", "catalog", "lane", "skip_preview")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    BOUNDS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    INTERIOR_FIELD_NUMBER: _ClassVar[int]
    DUNGEON_FIELD_NUMBER: _ClassVar[int]
    TERRAIN_FIELD_NUMBER: _ClassVar[int]
    CATALOG_FIELD_NUMBER: _ClassVar[int]
    LANE_FIELD_NUMBER: _ClassVar[int]
    SKIP_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    kind: SceneKind
    prompt: str
    bounds: _common_pb2.Vec3
    seed: int
    interior: InteriorParameters
    dungeon: DungeonParameters
    terrain: TerrainParameters
    catalog: AssetCatalog
    lane: _common_pb2.Lane
    skip_preview: bool
    def __init__(self, kind: _Optional[_Union[SceneKind, str]] = ..., prompt: _Optional[str] = ..., bounds: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., seed: _Optional[int] = ..., interior: _Optional[_Union[InteriorParameters, _Mapping]] = ..., dungeon: _Optional[_Union[DungeonParameters, _Mapping]] = ..., terrain: _Optional[_Union[TerrainParameters, _Mapping]] = ..., catalog: _Optional[_Union[AssetCatalog, _Mapping]] = ..., lane: _Optional[_Union[_common_pb2.Lane, str]] = ..., skip_preview: _Optional[bool] = ...) -> None: ...

class Transform(_message.Message):
    __slots__ = ("position", "rotation", "scale")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    position: _common_pb2.Vec3
    rotation: _common_pb2.Quaternion
    scale: _common_pb2.Vec3
    def __init__(self, position: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., rotation: _Optional[_Union[_common_pb2.Quaternion, _Mapping]] = ..., scale: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ...) -> None: ...

class SceneNode(_message.Message):
    __slots__ = ("id", "tag", "transform", "parent_id", "bounds_min", "bounds_max", "properties")
    ID_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    BOUNDS_MIN_FIELD_NUMBER: _ClassVar[int]
    BOUNDS_MAX_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    tag: str
    transform: Transform
    parent_id: str
    bounds_min: _common_pb2.Vec3
    bounds_max: _common_pb2.Vec3
    properties: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., tag: _Optional[str] = ..., transform: _Optional[_Union[Transform, _Mapping]] = ..., parent_id: _Optional[str] = ..., bounds_min: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., bounds_max: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., properties: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SceneGraph(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[SceneNode]
    def __init__(self, nodes: _Optional[_Iterable[_Union[SceneNode, _Mapping]]] = ...) -> None: ...

class WalkGrid(_message.Message):
    __slots__ = ("origin", "cell_size", "width", "depth", "cells")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CELL_SIZE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    origin: _common_pb2.Vec3
    cell_size: float
    width: int
    depth: int
    cells: bytes
    def __init__(self, origin: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ..., cell_size: _Optional[float] = ..., width: _Optional[int] = ..., depth: _Optional[int] = ..., cells: _Optional[bytes] = ...) -> None: ...

class SpawnPoint(_message.Message):
    __slots__ = ("name", "position")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    name: str
    position: _common_pb2.Vec3
    def __init__(self, name: _Optional[str] = ..., position: _Optional[_Union[_common_pb2.Vec3, _Mapping]] = ...) -> None: ...

class Heightmap(_message.Message):
    __slots__ = ("resolution", "cell_size", "height_scale", "png16", "raw_float32", "splat_png", "water_png", "water_float32")
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    CELL_SIZE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_SCALE_FIELD_NUMBER: _ClassVar[int]
    PNG16_FIELD_NUMBER: _ClassVar[int]
    RAW_FLOAT32_FIELD_NUMBER: _ClassVar[int]
    SPLAT_PNG_FIELD_NUMBER: _ClassVar[int]
    WATER_PNG_FIELD_NUMBER: _ClassVar[int]
    WATER_FLOAT32_FIELD_NUMBER: _ClassVar[int]
    resolution: int
    cell_size: float
    height_scale: float
    png16: bytes
    raw_float32: bytes
    splat_png: bytes
    water_png: bytes
    water_float32: bytes
    def __init__(self, resolution: _Optional[int] = ..., cell_size: _Optional[float] = ..., height_scale: _Optional[float] = ..., png16: _Optional[bytes] = ..., raw_float32: _Optional[bytes] = ..., splat_png: _Optional[bytes] = ..., water_png: _Optional[bytes] = ..., water_float32: _Optional[bytes] = ...) -> None: ...

class QualityReport(_message.Message):
    __slots__ = ("collisions", "out_of_bounds", "blocked_doors", "reachable_fraction", "relations_requested", "relations_satisfied", "objects_placed", "objects_requested", "named_elements")
    COLLISIONS_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_BOUNDS_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_DOORS_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    RELATIONS_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    RELATIONS_SATISFIED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_PLACED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    NAMED_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    collisions: int
    out_of_bounds: int
    blocked_doors: int
    reachable_fraction: float
    relations_requested: int
    relations_satisfied: int
    objects_placed: int
    objects_requested: int
    named_elements: _containers.RepeatedCompositeFieldContainer[NamedElement]
    def __init__(self, collisions: _Optional[int] = ..., out_of_bounds: _Optional[int] = ..., blocked_doors: _Optional[int] = ..., reachable_fraction: _Optional[float] = ..., relations_requested: _Optional[int] = ..., relations_satisfied: _Optional[int] = ..., objects_placed: _Optional[int] = ..., objects_requested: _Optional[int] = ..., named_elements: _Optional[_Iterable[_Union[NamedElement, _Mapping]]] = ...) -> None: ...

class NamedElement(_message.Message):
    __slots__ = ("word", "tag", "requested", "placed", "note")
    WORD_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    PLACED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    word: str
    tag: str
    requested: int
    placed: int
    note: str
    def __init__(self, word: _Optional[str] = ..., tag: _Optional[str] = ..., requested: _Optional[int] = ..., placed: _Optional[int] = ..., note: _Optional[str] = ...) -> None: ...

class SceneResult(_message.Message):
    __slots__ = ("graph", "walkability", "spawn_points", "heightmap", "glb_preview", "quality", "recipe", "plan_json")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    WALKABILITY_FIELD_NUMBER: _ClassVar[int]
    SPAWN_POINTS_FIELD_NUMBER: _ClassVar[int]
    HEIGHTMAP_FIELD_NUMBER: _ClassVar[int]
    GLB_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    RECIPE_FIELD_NUMBER: _ClassVar[int]
    PLAN_JSON_FIELD_NUMBER: _ClassVar[int]
    graph: SceneGraph
    walkability: WalkGrid
    spawn_points: _containers.RepeatedCompositeFieldContainer[SpawnPoint]
    heightmap: Heightmap
    glb_preview: bytes
    quality: QualityReport
    recipe: _common_pb2.Recipe
    plan_json: str
    def __init__(self, graph: _Optional[_Union[SceneGraph, _Mapping]] = ..., walkability: _Optional[_Union[WalkGrid, _Mapping]] = ..., spawn_points: _Optional[_Iterable[_Union[SpawnPoint, _Mapping]]] = ..., heightmap: _Optional[_Union[Heightmap, _Mapping]] = ..., glb_preview: _Optional[bytes] = ..., quality: _Optional[_Union[QualityReport, _Mapping]] = ..., recipe: _Optional[_Union[_common_pb2.Recipe, _Mapping]] = ..., plan_json: _Optional[str] = ...) -> None: ...

class GenerateSceneResponse(_message.Message):
    __slots__ = ("queued", "progress", "result")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    queued: _common_pb2.Queued
    progress: _common_pb2.Progress
    result: SceneResult
    def __init__(self, queued: _Optional[_Union[_common_pb2.Queued, _Mapping]] = ..., progress: _Optional[_Union[_common_pb2.Progress, _Mapping]] = ..., result: _Optional[_Union[SceneResult, _Mapping]] = ...) -> None: ...
