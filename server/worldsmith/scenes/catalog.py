"""The asset catalog: the default one, loading one from JSON, and checking its rules."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2
from worldsmith.errors import InvalidArgument

AGAINST_WALL = scene_pb2.PLACEMENT_AGAINST_WALL
CENTER = scene_pb2.PLACEMENT_CENTER
ON_TOP_OF = scene_pb2.PLACEMENT_ON_TOP_OF
ON_WALL = scene_pb2.PLACEMENT_ON_WALL
CEILING = scene_pb2.PLACEMENT_CEILING
# Assets that stand on nothing on the floor: they hang on walls or from the ceiling.
MOUNTED = frozenset({ON_WALL, CEILING})
NEAR = scene_pb2.RELATION_KIND_NEAR
FACING = scene_pb2.RELATION_KIND_FACING
SEATED_AT = scene_pb2.RELATION_KIND_SEATED_AT
# A wall-mounted asset's bottom sits this high when the catalog gives no mount_height.
DEFAULT_MOUNT_HEIGHT = 1.6

# Tags the generators give their own nodes; a catalog may not reuse them.
STRUCTURAL_TAGS = frozenset({"room", "floor", "wall", "door", "window", "corridor", "cave", "terrain", "water"})
MAX_TAG_CHARS = 64
MAX_CATALOG_ASSETS = 256        # checked before any asset is read, so a huge catalog is refused at once
MAX_CATALOG_FILE_BYTES = 1 << 20  # a full catalog with every field set is under 200 KB
MAX_RELATIONS_PER_ASSET = 16


def _asset(tag, size, placement=0, on_top_of="", relations=(), clearance_front=0.0, max_count=0,
           min_height=0.0, max_height=0.0, max_slope_degrees=0.0, mount_height=0.0) -> scene_pb2.CatalogAsset:
    return scene_pb2.CatalogAsset(
        tag=tag, size=common_pb2.Vec3(x=size[0], y=size[1], z=size[2]), placement=placement,
        on_top_of=on_top_of, relations=[scene_pb2.Relation(kind=k, target_tag=t, distance=d) for k, t, d in relations],
        clearance_front=clearance_front, max_count=max_count, min_height=min_height, max_height=max_height,
        max_slope_degrees=max_slope_degrees, mount_height=mount_height,
    )


def default_catalog() -> scene_pb2.AssetCatalog:
    """Furniture, fittings and lights for rooms, props for dungeons, plants and rocks for terrain.

    Sizes are metres (x width, y height, z depth); the front of every asset is its +Z side.
    """
    return scene_pb2.AssetCatalog(assets=[
        # Rooms: furniture.
        _asset("table", (1.6, 0.75, 0.9), CENTER, max_count=8),
        _asset("chair", (0.5, 0.9, 0.5), relations=[(SEATED_AT, "table", 0)], max_count=48),
        _asset("bar_counter", (2.4, 1.1, 0.6), AGAINST_WALL, max_count=2),
        _asset("stool", (0.4, 0.75, 0.4), relations=[(SEATED_AT, "bar_counter", 0)], max_count=12),
        _asset("bed", (1.4, 0.6, 2.0), AGAINST_WALL, clearance_front=0.5, max_count=4),
        _asset("wardrobe", (1.2, 2.0, 0.6), AGAINST_WALL, clearance_front=0.7, max_count=4),
        _asset("shelf", (1.0, 1.8, 0.4), AGAINST_WALL, clearance_front=0.5, max_count=12),
        _asset("chest", (0.9, 0.6, 0.5), AGAINST_WALL, clearance_front=0.5, max_count=8),
        _asset("fireplace", (1.6, 1.2, 0.6), AGAINST_WALL, clearance_front=0.8, max_count=2),
        _asset("counter", (2.0, 0.9, 0.6), AGAINST_WALL, clearance_front=0.8, max_count=4),
        _asset("stove", (0.9, 0.9, 0.7), AGAINST_WALL, clearance_front=0.8, max_count=2),
        _asset("display_case", (1.2, 1.0, 0.6), CENTER, max_count=6),
        _asset("altar", (1.6, 1.0, 0.8), AGAINST_WALL, clearance_front=1.2, max_count=1),
        _asset("pew", (2.0, 0.9, 0.6), CENTER, relations=[(FACING, "altar", 0)], max_count=12),
        _asset("rug", (2.0, 0.02, 1.4), CENTER, max_count=4),
        # Rooms: lights. Lamps stand on tables only when a prompt asks for them there.
        _asset("wall_lamp", (0.3, 0.4, 0.25), ON_WALL, mount_height=1.7, max_count=24),
        _asset("chandelier", (1.0, 0.6, 1.0), CEILING, relations=[(NEAR, "table", 0.5)], max_count=6),
        _asset("table_lamp", (0.3, 0.5, 0.3), ON_TOP_OF, on_top_of="table", max_count=8),
        # Storage, in rooms and dungeons.
        _asset("crate", (0.8, 0.8, 0.8), max_count=40),
        _asset("barrel", (0.6, 0.9, 0.6), relations=[(NEAR, "crate", 1.0)], max_count=40),
        # Dungeons.
        _asset("torch", (0.2, 0.5, 0.25), ON_WALL, mount_height=1.5, max_count=120),
        _asset("brazier", (0.6, 1.0, 0.6), max_count=24),
        _asset("pillar", (0.6, 2.0, 0.6), CENTER, max_count=24),
        _asset("bones", (0.8, 0.1, 0.5), max_count=40),
        # Terrain.
        _asset("tree", (2.0, 6.0, 2.0), min_height=0.2, max_height=0.8, max_slope_degrees=30),
        _asset("bush", (1.2, 1.0, 1.2), min_height=0.15, max_height=0.75, max_slope_degrees=25),
        _asset("rock", (1.5, 1.0, 1.5), min_height=0.0, max_height=1.0, max_slope_degrees=60),
    ])


def mount_height(asset: scene_pb2.CatalogAsset) -> float:
    """Where a wall-mounted asset's bottom sits above the floor."""
    return asset.mount_height or DEFAULT_MOUNT_HEIGHT


def is_scatter_asset(asset: scene_pb2.CatalogAsset) -> bool:
    """Terrain assets are the ones with a slope rule; the rest furnish rooms and dungeons."""
    return asset.max_slope_degrees > 0


def load_catalog_json(path: str | Path) -> scene_pb2.AssetCatalog:
    """Read a catalog written as the proto's JSON form: {"assets": [{"tag": ..., "size": {...}}]}."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_CATALOG_FILE_BYTES:
            raise InvalidArgument("catalog", f"{path} is {size} bytes; a catalog file is at most {MAX_CATALOG_FILE_BYTES} "
                                             f"bytes ({MAX_CATALOG_ASSETS} assets)")
        return json_format.Parse(Path(path).read_text(), scene_pb2.AssetCatalog())
    except OSError as error:
        raise InvalidArgument("catalog", f"cannot read {path}: {error.strerror}") from None
    except json_format.ParseError as error:
        raise InvalidArgument("catalog", f"{path} is not an AssetCatalog in JSON form: {error}") from None


def check_catalog(catalog: scene_pb2.AssetCatalog) -> list[tuple[str, str]]:
    """Every rule a catalog breaks, as (field, reason) pairs; empty when it is sound."""
    violations: list[tuple[str, str]] = []
    if not catalog.assets:
        return [("catalog.assets", "is empty; list at least one asset or leave the catalog out for the default one")]
    if len(catalog.assets) > MAX_CATALOG_ASSETS:
        return [("catalog.assets", f"has {len(catalog.assets)} assets; at most {MAX_CATALOG_ASSETS}, so split the catalog per scene")]
    crowded = [i for i, asset in enumerate(catalog.assets) if len(asset.relations) > MAX_RELATIONS_PER_ASSET]
    if crowded:
        return [(f"catalog.assets[{i}].relations", f"has {len(catalog.assets[i].relations)} relations; at most {MAX_RELATIONS_PER_ASSET}")
                for i in crowded]
    seen: dict[str, int] = {}
    for i, asset in enumerate(catalog.assets):
        field = f"catalog.assets[{i}]"
        if not asset.tag or len(asset.tag) > MAX_TAG_CHARS or not asset.tag.isprintable():
            violations.append((f"{field}.tag", f"must be 1 to {MAX_TAG_CHARS} printable characters"))
        elif asset.tag in STRUCTURAL_TAGS:
            violations.append((f"{field}.tag", f"{asset.tag!r} is a structural tag; pick another name"))
        elif asset.tag in seen:
            violations.append((f"{field}.tag", f"{asset.tag!r} repeats catalog.assets[{seen[asset.tag]}]"))
        else:
            seen[asset.tag] = i
        size = asset.size
        if not (size.x > 0 and size.y > 0 and size.z > 0):
            violations.append((f"{field}.size", f"must be positive in x, y and z (metres), got {size.x:g} x {size.y:g} x {size.z:g}"))
        if asset.clearance_front < 0:
            violations.append((f"{field}.clearance_front", f"must be 0 or more metres, got {asset.clearance_front:g}"))
        if asset.max_count and asset.min_count > asset.max_count:
            violations.append((f"{field}.min_count", f"{asset.min_count} is above max_count {asset.max_count}"))
        if asset.mount_height < 0 or (asset.mount_height and asset.placement != ON_WALL):
            violations.append((f"{field}.mount_height", "is a height of 0 or more metres, read only with PLACEMENT_ON_WALL"))
        if is_scatter_asset(asset):
            if asset.max_slope_degrees > 90:
                violations.append((f"{field}.max_slope_degrees", f"must be in (0, 90], got {asset.max_slope_degrees:g}"))
            if not 0 <= asset.min_height <= 1 or not 0 <= asset.max_height <= 1 or asset.min_height > asset.max_height:
                violations.append((f"{field}.min_height", "min_height and max_height are normalised heights with 0 <= min_height <= max_height <= 1"))
        for j, relation in enumerate(asset.relations):
            if relation.kind not in (NEAR, FACING, SEATED_AT):
                violations.append((f"{field}.relations[{j}].kind", "must be RELATION_KIND_NEAR, RELATION_KIND_FACING or RELATION_KIND_SEATED_AT"))
            if relation.distance < 0:
                violations.append((f"{field}.relations[{j}].distance", f"must be 0 (1 m) or more, got {relation.distance:g}"))
    tags = {asset.tag for asset in catalog.assets}
    by_tag = {a.tag: a for a in catalog.assets}
    for i, asset in enumerate(catalog.assets):
        field = f"catalog.assets[{i}]"
        if asset.placement == ON_TOP_OF:
            if not asset.on_top_of:
                violations.append((f"{field}.on_top_of", "PLACEMENT_ON_TOP_OF needs the tag of the supporting asset"))
            elif asset.on_top_of == asset.tag:
                violations.append((f"{field}.on_top_of", f"{asset.tag!r} cannot stand on top of itself"))
            elif asset.on_top_of not in tags:
                violations.append((f"{field}.on_top_of", f"names {asset.on_top_of!r}, which is not in the catalog"))
        elif asset.on_top_of:
            violations.append((f"{field}.on_top_of", "is only read with placement PLACEMENT_ON_TOP_OF; set both or neither"))
        seated = [r for r in asset.relations if r.kind == SEATED_AT]
        for j, relation in enumerate(asset.relations):
            if relation.target_tag not in tags:
                violations.append((f"{field}.relations[{j}].target_tag", f"names {relation.target_tag!r}, which is not in the catalog"))
            elif relation.kind == SEATED_AT and (by_tag[relation.target_tag].placement in MOUNTED | {ON_TOP_OF}
                                                 or any(r.kind == SEATED_AT for r in by_tag[relation.target_tag].relations)):
                violations.append((f"{field}.relations[{j}].target_tag", f"{relation.target_tag!r} must stand on the floor, "
                                                                         "seated at nothing itself, for seats to be set round it"))
        if seated and (len(seated) > 1 or asset.placement in MOUNTED | {ON_TOP_OF, AGAINST_WALL}):
            violations.append((f"{field}.relations", "a seat is seated at one asset and stands free on the floor "
                                                     "(placement PLACEMENT_UNSPECIFIED or PLACEMENT_CENTER)"))
    cycle = _support_cycle(catalog)
    if cycle:
        i = next(i for i, a in enumerate(catalog.assets) if a.tag == cycle[0])
        violations.append((f"catalog.assets[{i}].on_top_of", "on_top_of rules form a cycle: " + " on ".join(cycle + [cycle[0]])))
    return violations


def _support_cycle(catalog: scene_pb2.AssetCatalog) -> list[str]:
    """The first cycle in the on_top_of chains (A on B on A), or []."""
    support = {a.tag: a.on_top_of for a in catalog.assets if a.placement == ON_TOP_OF and a.on_top_of and a.on_top_of != a.tag}
    for start in support:
        chain, tag = [], start
        while tag in support and tag not in chain:
            chain.append(tag)
            tag = support[tag]
        if tag in chain and tag == start:
            return chain
    return []
