"""Furnishing programmes: what a room of each type holds, in counts that follow its size."""

from __future__ import annotations

from dataclasses import dataclass, field

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes.catalog import AGAINST_WALL, CEILING, ON_TOP_OF, ON_WALL, SEATED_AT, mount_height
from worldsmith.scenes.seating import capacity, group_area

# Lighting: wall lamps about every WALL_LAMP_SPACING metres of wall; a ceiling light per
# CEILING_LIGHT_AREA square metres where a hanging light leaves HEADROOM below it.
WALL_LAMP_SPACING, MAX_WALL_LAMPS = 5.0, 8
CEILING_LIGHT_AREA, MAX_CEILING_LIGHTS = 40.0, 3
HEADROOM = 2.2
# A programme's core (tables with their chairs, beds, shelves...) takes at most this share of the floor.
CORE_FLOOR_SHARE = 0.45
# Dungeons: a torch per TORCH_AREA square metres of the grid.
TORCH_AREA = 100.0


@dataclass(frozen=True)
class Programme:
    """Core counts (fixed, or one per so many square metres of floor, at least one), seats per
    target, lighting, and extras a planner may add by weight. Anything else a room of this type
    only gets when the prompt names it."""

    fixed: dict[str, int] = field(default_factory=dict)
    per_area: dict[str, float] = field(default_factory=dict)   # tag -> square metres of floor per one
    seats: dict[str, int] = field(default_factory=dict)        # seat tag -> seats per target it is seated at
    lights: tuple[str, ...] = ("wall_lamp",)                   # wall_lamp, chandelier, torch
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def tags(self) -> set[str]:
        return set(self.fixed) | set(self.per_area) | set(self.seats) | set(self.lights) | set(self.extras)


PROGRAMMES = {
    "tavern": Programme(fixed={"bar_counter": 1}, per_area={"table": 25.0}, seats={"chair": 4, "stool": 4},
                        lights=("wall_lamp", "chandelier"), extras={"barrel": 3, "shelf": 1, "crate": 1}),
    "bedroom": Programme(fixed={"bed": 1, "wardrobe": 1}, extras={"chest": 2, "rug": 1, "shelf": 1}),
    "library": Programme(per_area={"shelf": 8.0, "table": 25.0}, seats={"chair": 2}, lights=("wall_lamp", "chandelier"),
                         extras={"rug": 1}),
    "kitchen": Programme(fixed={"stove": 1, "counter": 1}, per_area={"table": 40.0}, seats={"chair": 2},
                         extras={"barrel": 2, "crate": 2, "shelf": 2}),
    "shop": Programme(fixed={"counter": 1}, per_area={"shelf": 8.0, "display_case": 20.0}, extras={"crate": 2, "barrel": 2, "chest": 1}),
    "chapel": Programme(fixed={"altar": 1}, per_area={"pew": 8.0}, lights=("wall_lamp", "chandelier")),
    "dining": Programme(per_area={"table": 20.0}, seats={"chair": 6}, lights=("wall_lamp", "chandelier"),
                        extras={"shelf": 1, "rug": 1}),
    "study": Programme(fixed={"table": 1, "shelf": 2}, seats={"chair": 1}, extras={"rug": 1, "chest": 1}),
    "storeroom": Programme(per_area={"crate": 5.0, "barrel": 6.0}, extras={"shelf": 1}),
    "armory": Programme(per_area={"shelf": 8.0, "chest": 12.0}, extras={"crate": 1}),
    "treasury": Programme(per_area={"chest": 6.0}, extras={"crate": 1, "barrel": 1}),
    "barracks": Programme(fixed={"table": 1}, per_area={"bed": 8.0, "chest": 10.0}, seats={"chair": 4}),
    "dungeon": Programme(per_area={"crate": 200.0, "barrel": 200.0, "bones": 250.0, "chest": 400.0, "brazier": 400.0},
                         lights=("torch",),
                         extras={"crate": 3, "barrel": 3, "chest": 1, "bones": 2, "pillar": 1, "brazier": 1}),
}
ROOM_TYPES = tuple(PROGRAMMES)

# Assets of the default catalog that a room only gets from a programme or the prompt's words.
PROGRAMME_ONLY = frozenset(tag for p in PROGRAMMES.values() for tag in p.tags) | {"table_lamp"}


def room_for(kind: str, prompt_room: str, planned_room: str) -> str:
    """A dungeon's rooms are dungeon rooms; an interior is what its prompt names, else what the planner chose."""
    if kind == "dungeon":
        return "dungeon"
    return prompt_room or (planned_room if planned_room in PROGRAMMES else "")


def core_counts(room: str, width: float, depth: float, height: float,
                assets: dict[str, scene_pb2.CatalogAsset]) -> dict[str, int]:
    """The counts a room of this type and size needs, for the assets the catalog has and the ceiling
    allows; in a small room the area-scaled ones shrink (down to one each) until they take at most
    CORE_FLOOR_SHARE of the floor, and seats follow their targets."""
    programme = PROGRAMMES.get(room)
    if programme is None:
        return {}
    area = width * depth
    counts = dict(programme.fixed)
    for tag, per in programme.per_area.items():
        counts[tag] = max(1, round(area / per))
    for light in programme.lights:
        if light == "wall_lamp":
            counts[light] = min(MAX_WALL_LAMPS, max(2, round(2 * (width + depth) / WALL_LAMP_SPACING)))
        elif light == "chandelier":
            counts[light] = min(MAX_CEILING_LIGHTS, max(1, round(area / CEILING_LIGHT_AREA)))
        elif light == "torch":
            counts[light] = max(4, round(area / TORCH_AREA))
    counts = {tag: n for tag, n in counts.items() if tag in assets and fits_under(assets[tag], assets, height)}
    seats = {}  # target tag -> (seat tag, seats per target)
    for seat, per in programme.seats.items():
        target = seat_target(assets.get(seat))
        if target and counts.get(target):
            seats[target] = (seat, min(per, seat_capacity(assets[seat], assets[target])))

    def footprint(tag: str) -> float:
        asset = assets[tag]
        if tag in seats:
            seat = assets[seats[tag][0]]
            return group_area((asset.size.x, asset.size.z), (seat.size.x, seat.size.z), seats[tag][1],
                              asset.placement == AGAINST_WALL)
        if asset.placement in (ON_TOP_OF, ON_WALL, CEILING):
            return 0.0
        return asset.size.x * (asset.size.z + asset.clearance_front)

    while sum(footprint(t) * n for t, n in counts.items()) > CORE_FLOOR_SHARE * area:
        shrinkable = [t for t in programme.per_area if counts.get(t, 0) > 1]
        if not shrinkable:
            break
        counts[max(shrinkable, key=lambda t: (footprint(t) * counts[t], t))] -= 1
    for target, (seat, per) in seats.items():
        counts[seat] = per * counts[target]
    return counts


def seat_target(asset: scene_pb2.CatalogAsset | None) -> str:
    """The tag a seat is seated at, or ""."""
    if asset is None:
        return ""
    return next((r.target_tag for r in asset.relations if r.kind == SEATED_AT), "")


def seat_capacity(seat: scene_pb2.CatalogAsset, target: scene_pb2.CatalogAsset) -> int:
    """How many of these seats one target takes."""
    return capacity((target.size.x, target.size.z), (seat.size.x, seat.size.z), target.placement == AGAINST_WALL)


def fits_under(asset: scene_pb2.CatalogAsset, assets: dict[str, scene_pb2.CatalogAsset], ceiling: float) -> bool:
    """Whether the asset (with what it stands on, or its mount height) fits under this ceiling; a
    ceiling light only where it leaves headroom below it."""
    if asset.placement == CEILING:
        return ceiling - asset.size.y >= HEADROOM
    height = asset.size.y + (mount_height(asset) if asset.placement == ON_WALL else 0.0)
    tag = asset.tag
    while assets[tag].placement == ON_TOP_OF and assets[tag].on_top_of in assets:
        tag = assets[tag].on_top_of
        height += assets[tag].size.y
    return height <= ceiling + 1e-6
