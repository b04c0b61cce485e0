"""The plan a planner writes (which assets, how many, which relations), its JSON Schema, and its checks."""

from __future__ import annotations

import json
from dataclasses import dataclass

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes.catalog import FACING, NEAR, ON_TOP_OF, is_scatter_asset
from worldsmith.scenes.spec import SceneSpec

RELATION_NAMES = {NEAR: "near", FACING: "facing"}
DEFAULT_NEAR_DISTANCE = 1.0
# Objects may cover at most this share of the free floor, so the rest stays walkable.
MAX_FLOOR_COVER = 0.7
# Interior walls are this thick; the floor inside them is what objects stand on.
WALL_THICKNESS = 0.1


@dataclass(frozen=True)
class PlannedRelation:
    kind: str  # "near" | "facing"
    target: str
    distance: float = 0.0  # near: the largest gap in metres (0: 1 m)

    @property
    def near_distance(self) -> float:
        return self.distance or DEFAULT_NEAR_DISTANCE


@dataclass(frozen=True)
class PlanItem:
    tag: str
    count: int
    relations: tuple[PlannedRelation, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What to place. The solver decides where; no planner ever writes coordinates."""

    items: tuple[PlanItem, ...]
    planner: str

    def count(self, tag: str) -> int:
        return sum(item.count for item in self.items if item.tag == tag)

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    def to_dict(self) -> dict:
        return {"planner": self.planner, "items": [
            {"tag": item.tag, "count": item.count,
             "relations": [{"kind": r.kind, "target": r.target, "distance": r.distance} for r in item.relations]}
            for item in self.items]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict, planner: str) -> "Plan":
        """Read a plan in the schema's shape (from a model); the schema has already bounded every field."""
        items = []
        for item in data.get("items", []):
            relations = tuple(PlannedRelation(r["kind"], r["target"], float(r.get("distance", 0.0)))
                              for r in item.get("relations", []))
            items.append(PlanItem(item["tag"], int(item["count"]), relations))
        return cls(tuple(items), planner)


def plannable_assets(spec: SceneSpec) -> list[scene_pb2.CatalogAsset]:
    """The catalog assets a scene of this kind may use, in catalog order."""
    want_scatter = spec.kind == "terrain"
    return [asset for asset in spec.catalog.assets if is_scatter_asset(asset) == want_scatter]


def plan_schema(spec: SceneSpec) -> dict:
    """JSON Schema of a plan for this request: tags and counts are bounded by the catalog, so any
    output decoded under this grammar is a plan the solver can read."""
    assets = plannable_assets(spec)
    tags = [asset.tag for asset in assets] or [""]
    largest = max([asset.max_count or spec.max_objects for asset in assets] or [0])
    relation = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["near", "facing"]},
            "target": {"enum": tags},
            "distance": {"type": "number", "minimum": 0, "maximum": 10},
        },
        "required": ["kind", "target"],
        "additionalProperties": False,
    }
    item = {
        "type": "object",
        "properties": {
            "tag": {"enum": tags},
            "count": {"type": "integer", "minimum": 0, "maximum": min(largest, spec.max_objects)},
            "relations": {"type": "array", "items": relation, "maxItems": 4},
        },
        "required": ["tag", "count"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": item, "maxItems": max(1, len(assets))}},
        "required": ["items"],
        "additionalProperties": False,
    }


def resolve_plan(spec: SceneSpec, plan: Plan, trim: bool = False) -> Plan:
    """Apply the catalog's rules to a planner's plan: known tags only, counts within min..max, the
    catalog's own relations added, relations to assets the plan does not place dropped, one item per
    tag; then refuse a plan no room of these bounds can hold. With `trim` (a model's plan, not the
    caller's numbers) extras beyond what the floor can hold are dropped instead of refused."""
    assets = {asset.tag: asset for asset in plannable_assets(spec)}
    counts: dict[str, int] = {tag: 0 for tag in assets}
    asked: dict[str, list[PlannedRelation]] = {tag: [] for tag in assets}
    for item in plan.items:
        if item.tag in assets:
            counts[item.tag] += item.count
            asked[item.tag] += [r for r in item.relations if r.kind in ("near", "facing") and r.target in assets]
    for tag, asset in assets.items():
        limit = asset.max_count or spec.max_objects
        counts[tag] = max(asset.min_count, min(counts[tag], limit))
    if trim and spec.kind == "interior":
        _trim_to_floor(spec, assets, counts)
    # Something to stand on: an asset on top of another needs at least one of those.
    for tag, asset in assets.items():
        if asset.placement == ON_TOP_OF and counts[tag] and asset.on_top_of in counts and not counts[asset.on_top_of]:
            counts[asset.on_top_of] = 1
    items = []
    for tag, asset in assets.items():
        if not counts[tag]:
            continue
        relations = [PlannedRelation(RELATION_NAMES[r.kind], r.target_tag, round(r.distance, 4)) for r in asset.relations]
        relations += asked[tag]
        unique = tuple(dict.fromkeys(r for r in relations if counts.get(r.target)))
        items.append(PlanItem(tag, counts[tag], unique))
    resolved = Plan(tuple(items), plan.planner)
    if resolved.total > spec.max_objects:
        raise InvalidArgument("prompt", f"the plan asks for {resolved.total} objects; the server places at most "
                                        f"{spec.max_objects} (scenes.max_objects); lower the counts or min_count")
    if spec.kind != "terrain":
        _check_fits(spec, resolved)
    return resolved


def _check_fits(spec: SceneSpec, plan: Plan) -> None:
    """Refuse, before any work, assets that no room of these bounds can hold."""
    assets = spec.assets
    ceiling = spec.height
    if spec.kind == "interior":
        floor_w, floor_d = spec.width - 2 * WALL_THICKNESS, spec.depth - 2 * WALL_THICKNESS
    else:
        # BSP leaves stop splitting below twice the smallest leaf, so no room is wider than this.
        d = spec.dungeon
        largest = min(d.width_cells, d.depth_cells) - 2
        side = d.cell_size * (largest if d.algorithm == "caves" else min(largest, 2 * d.min_room_cells + 1))
        floor_w = floor_d = side
    violations = []
    needed_area = 0.0
    for item in plan.items:
        asset = assets[item.tag]
        field = f"catalog.assets[{spec.catalog_index(item.tag)}]"
        size = asset.size
        stack = _stack_height(assets, item.tag)
        if stack > ceiling:
            violations.append((f"{field}.size", f"{item.tag!r} stands {stack:g} m tall (with what it stands on), "
                                                f"above the {ceiling:g} m ceiling"))
        if asset.placement == ON_TOP_OF:
            support = assets[asset.on_top_of].size
            if not _fits(size.x, size.z, support.x, support.z):
                violations.append((f"{field}.size", f"{item.tag!r} ({size.x:g} x {size.z:g} m) is larger than the top of "
                                                    f"{asset.on_top_of!r} ({support.x:g} x {support.z:g} m) it must stand on"))
            continue
        reach = asset.clearance_front
        if not _fits(size.x, size.z + reach, floor_w, floor_d):
            violations.append((f"{field}.size", f"{item.tag!r} needs {size.x:g} x {size.z + reach:g} m of floor "
                                                f"(with its clearance), larger than the {floor_w:g} x {floor_d:g} m room"))
        needed_area += item.count * floor_area(asset)
    if violations:
        raise InvalidArgument.many(violations)
    if spec.kind == "interior":
        free = usable_floor(spec)
        if needed_area > MAX_FLOOR_COVER * free:
            listing = ", ".join(f"{item.count} {item.tag}" for item in plan.items if assets[item.tag].placement != ON_TOP_OF)
            raise InvalidArgument("bounds", f"the room is too small for {listing}: they need {needed_area:.1f} m2 of floor "
                                            f"and a {spec.width:g} x {spec.depth:g} m room can give at most {MAX_FLOOR_COVER * free:.1f} m2 "
                                            f"(objects may cover {MAX_FLOOR_COVER:.0%} of the free floor); enlarge bounds or ask for fewer")


def floor_area(asset: scene_pb2.CatalogAsset) -> float:
    """Floor an asset takes, its clearance included (none for assets standing on others)."""
    return 0.0 if asset.placement == ON_TOP_OF else asset.size.x * (asset.size.z + asset.clearance_front)


def usable_floor(spec: SceneSpec) -> float:
    """An interior's floor inside its walls, less the clear zones in front of its doors."""
    return (spec.width - 2 * WALL_THICKNESS) * (spec.depth - 2 * WALL_THICKNESS) - spec.interior.doors * 0.9 * 1.0


def _trim_to_floor(spec: SceneSpec, assets: dict[str, scene_pb2.CatalogAsset], counts: dict[str, int]) -> None:
    """Drop extras, from the asset taking the most floor, until the plan covers at most
    MAX_FLOOR_COVER of the room; the catalog's min_count stays."""
    budget = MAX_FLOOR_COVER * usable_floor(spec)
    while sum(floor_area(assets[t]) * n for t, n in counts.items()) > budget:
        extras = [t for t, n in counts.items() if n > assets[t].min_count and floor_area(assets[t]) > 0]
        if not extras:
            return
        counts[max(extras, key=lambda t: (floor_area(assets[t]) * counts[t], t))] -= 1


def _fits(w: float, d: float, room_w: float, room_d: float) -> bool:
    return (w <= room_w and d <= room_d) or (d <= room_w and w <= room_d)


def _stack_height(assets: dict[str, scene_pb2.CatalogAsset], tag: str) -> float:
    height = assets[tag].size.y
    while assets[tag].placement == ON_TOP_OF:
        tag = assets[tag].on_top_of
        height += assets[tag].size.y
    return height
