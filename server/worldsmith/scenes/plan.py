"""The plan a planner writes (which assets, how many, which relations), its JSON Schema, and its checks."""

from __future__ import annotations

import json
from dataclasses import dataclass

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.errors import InvalidArgument
from worldsmith.scenes import programmes, prompt_words
from worldsmith.scenes.landforms import LAKE_WORDS, RELIEF_OF_WORD, RIVER_WORDS
from worldsmith.scenes.catalog import FACING, MOUNTED, NEAR, ON_TOP_OF, ON_WALL, SEATED_AT, default_catalog, is_scatter_asset, mount_height
from worldsmith.scenes.prompt_words import Named, Reading
from worldsmith.scenes.spec import SceneSpec

RELATION_NAMES = {NEAR: "near", FACING: "facing", SEATED_AT: "seated_at"}
RELATION_KINDS = tuple(RELATION_NAMES.values())
# Default-catalog props that belong to dungeons: an interior with no room type gets them only when named.
DUNGEON_PROPS = frozenset({"torch", "bones", "brazier", "pillar"})
MAX_NAMED = 16
DEFAULT_NEAR_DISTANCE = 1.0
# Objects may cover at most this share of the free floor, so the rest stays walkable.
MAX_FLOOR_COVER = 0.7
# Interior walls are this thick; the floor inside them is what objects stand on.
WALL_THICKNESS = 0.1


@dataclass(frozen=True)
class PlannedRelation:
    kind: str  # "near" | "facing" | "seated_at"
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
    room: str = ""                  # the furnishing programme followed (programmes.ROOM_TYPES), or ""
    named: tuple[Named, ...] = ()   # what the prompt names, each honoured or reported

    def count(self, tag: str) -> int:
        return sum(item.count for item in self.items if item.tag == tag)

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    def to_dict(self) -> dict:
        return {"planner": self.planner, "room": self.room, "items": [
            {"tag": item.tag, "count": item.count,
             "relations": [{"kind": r.kind, "target": r.target, "distance": r.distance} for r in item.relations]}
            for item in self.items],
            "named": [{"word": n.word, "tag": n.tag, "count": n.count, "exact": n.exact} for n in self.named]}

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
        named = tuple(Named(n["word"], n["tag"], int(n["count"]), bool(n.get("exact", True))) for n in data.get("named", []))
        return cls(tuple(items), planner, data.get("room", ""), named)


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
            "kind": {"enum": list(RELATION_KINDS)},
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
    named = {
        "type": "object",
        "properties": {
            "word": {"type": "string", "minLength": 1, "maxLength": 24},
            "tag": {"enum": tags},
            "count": {"type": "integer", "minimum": 1, "maximum": min(largest, spec.max_objects) or 1},
        },
        "required": ["word", "tag", "count"],
        "additionalProperties": False,
    }
    properties = {"items": {"type": "array", "items": item, "maxItems": max(1, len(assets))},
                  "named": {"type": "array", "items": named, "maxItems": MAX_NAMED}}
    if spec.kind == "interior":
        properties = {"room": {"enum": [*programmes.ROOM_TYPES, ""]}, **properties}
    return {"type": "object", "properties": properties, "required": ["items"], "additionalProperties": False}


# Words the terrain generator reads itself: not elements to place.
LANDFORM_WORDS = frozenset(RELIEF_OF_WORD) | RIVER_WORDS | LAKE_WORDS


def read_prompt(spec: SceneSpec) -> Reading:
    """The prompt's room type and named elements, read against the request's catalog and the default
    one (so a named element the request's catalog lacks is still reported)."""
    want_scatter = spec.kind == "terrain"
    others = [a for a in default_catalog().assets if is_scatter_asset(a) == want_scatter and a.tag not in spec.assets]
    return prompt_words.read(spec.prompt, plannable_assets(spec), spec.max_objects, others, LANDFORM_WORDS)


def allowed_tags(spec: SceneSpec, room: str, named: tuple[Named, ...]) -> set[str]:
    """Tags a plan may use: a room type's programme, and what the prompt names; assets of the default
    catalog outside the programme (a lamp on a table, a torch in a bedroom, a table in a dungeon)
    come only when named. Tags of the caller's own catalog are always open."""
    tags = {a.tag for a in plannable_assets(spec)}
    open_ = {t for t in tags if t not in programmes.PROGRAMME_ONLY}
    if room in programmes.PROGRAMMES:
        open_ = {t for t in open_ if t not in default_tags()} | programmes.PROGRAMMES[room].tags
    else:
        open_ |= tags & (programmes.PROGRAMME_ONLY - DUNGEON_PROPS - {"table_lamp"})
    required = {a.tag for a in plannable_assets(spec) if a.min_count}
    return (open_ | {n.tag for n in named} | required) & tags


def default_tags() -> frozenset[str]:
    """The default catalog's tags."""
    return frozenset(a.tag for a in default_catalog().assets)


def resolve_plan(spec: SceneSpec, plan: Plan, trim: bool = False) -> Plan:
    """Apply the catalog's rules and the prompt's words to a planner's plan: known tags only; the room
    type's programme (the prompt's room word over the planner's choice) and the named elements (the
    prompt's own numbers; a model may add named words the prompt contains); counts within
    min..max; seats to match their targets; the catalog's own relations added, relations to assets the
    plan does not place dropped, one item per tag; then refuse a plan no room of these bounds can hold.
    With `trim` (a model's plan, not the caller's numbers) extras beyond what the floor can hold are
    dropped instead of refused."""
    assets = {asset.tag: asset for asset in plannable_assets(spec)}
    reading = read_prompt(spec)
    room = programmes.room_for(spec.kind, reading.room, plan.room)
    words = set(prompt_words.words_of(spec.prompt))
    named = list(reading.named)
    for extra in plan.named:  # a model's named words count only when the prompt says them
        if extra.tag not in {n.tag for n in named} and extra.word.lower() in words and len(named) < MAX_NAMED:
            named.append(Named(extra.word.lower(), extra.tag, extra.count, True))
    allowed = allowed_tags(spec, room, tuple(named))
    counts: dict[str, int] = {tag: 0 for tag in assets}
    asked: dict[str, list[PlannedRelation]] = {tag: [] for tag in assets}
    for item in plan.items:
        if item.tag in assets and item.tag in allowed:
            counts[item.tag] += item.count
            asked[item.tag] += [r for r in item.relations if r.kind in RELATION_KINDS and r.target in assets]
    keep = {tag: assets[tag].min_count for tag in assets}
    core = programmes.core_counts(room, spec.width, spec.depth, spec.height, assets)
    for tag, n in core.items():
        if _fits_floor(spec, assets, tag):
            counts[tag] = max(counts[tag], n)
            keep[tag] = max(keep[tag], n)
    for element in named:
        if element.tag in assets:
            counts[element.tag] = element.count if element.exact else max(counts[element.tag], element.count)
            keep[element.tag] = max(keep[element.tag], element.count)
    _seat_counts(assets, counts, room, {n.tag for n in named})
    for tag, asset in assets.items():
        limit = asset.max_count or spec.max_objects
        counts[tag] = max(asset.min_count, min(counts[tag], limit))
    if trim and spec.kind == "interior":
        _trim_to_floor(spec, assets, counts, keep)
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
    resolved = Plan(tuple(items), plan.planner, room, tuple(named))
    if resolved.total > spec.max_objects:
        raise InvalidArgument("prompt", f"the plan asks for {resolved.total} objects; the server places at most "
                                        f"{spec.max_objects} (scenes.max_objects); lower the counts or min_count")
    if spec.kind != "terrain":
        _check_fits(spec, resolved)
    return resolved


def _seat_counts(assets: dict[str, scene_pb2.CatalogAsset], counts: dict[str, int], room: str, named: set[str]) -> None:
    """A programme's seats follow their targets: so many per target, never more than the targets take,
    unless the prompt named the number."""
    programme = programmes.PROGRAMMES.get(room)
    for tag, asset in assets.items():
        target = programmes.seat_target(asset)
        if programme is None or tag not in programme.seats or target not in assets or tag in named:
            continue
        per_target = min(programme.seats[tag], programmes.seat_capacity(asset, assets[target]))
        counts[tag] = per_target * counts[target]


def _fits_floor(spec: SceneSpec, assets: dict[str, scene_pb2.CatalogAsset], tag: str) -> bool:
    """Whether one of this asset fits the floor and the ceiling at all (a programme skips those that do not)."""
    asset = assets[tag]
    if not programmes.fits_under(asset, assets, spec.height):
        return False
    if asset.placement in MOUNTED or asset.placement == ON_TOP_OF or spec.kind != "interior":
        return True
    return _fits(asset.size.x, asset.size.z + asset.clearance_front, spec.width - 2 * WALL_THICKNESS, spec.depth - 2 * WALL_THICKNESS)


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
        if stack > ceiling + 1e-6:
            violations.append((f"{field}.size", f"{item.tag!r} stands {stack:g} m tall (with what it stands on), "
                                                f"above the {ceiling:g} m ceiling"))
        if asset.placement == ON_TOP_OF:
            support = assets[asset.on_top_of].size
            if not _fits(size.x, size.z, support.x, support.z):
                violations.append((f"{field}.size", f"{item.tag!r} ({size.x:g} x {size.z:g} m) is larger than the top of "
                                                    f"{asset.on_top_of!r} ({support.x:g} x {support.z:g} m) it must stand on"))
            continue
        if asset.placement in MOUNTED:
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
    if asset.placement == ON_TOP_OF or asset.placement in MOUNTED:
        return 0.0
    return asset.size.x * (asset.size.z + asset.clearance_front)


def usable_floor(spec: SceneSpec) -> float:
    """An interior's floor inside its walls, less the clear zones in front of its doors."""
    return (spec.width - 2 * WALL_THICKNESS) * (spec.depth - 2 * WALL_THICKNESS) - spec.interior.doors * 0.9 * 1.0


def _trim_to_floor(spec: SceneSpec, assets: dict[str, scene_pb2.CatalogAsset], counts: dict[str, int],
                   keep: dict[str, int]) -> None:
    """Drop extras, from the asset taking the most floor, until the plan covers at most
    MAX_FLOOR_COVER of the room; the catalog's min_count, the programme's core and the named counts stay."""
    budget = MAX_FLOOR_COVER * usable_floor(spec)
    while sum(floor_area(assets[t]) * n for t, n in counts.items()) > budget:
        extras = [t for t, n in counts.items() if n > keep[t] and floor_area(assets[t]) > 0]
        if not extras:
            return
        counts[max(extras, key=lambda t: (floor_area(assets[t]) * counts[t], t))] -= 1


def _fits(w: float, d: float, room_w: float, room_d: float) -> bool:
    return (w <= room_w and d <= room_d) or (d <= room_w and w <= room_d)


def _stack_height(assets: dict[str, scene_pb2.CatalogAsset], tag: str) -> float:
    if assets[tag].placement == ON_WALL:
        return mount_height(assets[tag]) + assets[tag].size.y
    height = assets[tag].size.y
    while assets[tag].placement == ON_TOP_OF:
        tag = assets[tag].on_top_of
        height += assets[tag].size.y
    return height
