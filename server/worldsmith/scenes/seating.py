"""Where seats go round what they are seated at: chairs round a table, stools in a row before a counter."""

from __future__ import annotations

from dataclasses import dataclass

# A seat's front stops this far from the target's edge: within reach, never under or over it.
SEAT_GAP = 0.1
# Neighbouring seats along one side keep at least this much between them.
SEAT_SPACING = 0.15
# Kept free behind each seat, so it can be pulled out and sat on.
PULL_OUT = 0.3
# Kept free round a free-standing group (a table and its chairs), so agents can walk round it.
GROUP_MARGIN = 0.4
# A seat counts as within reach of its target when the gap between their footprints is at most this.
SEAT_REACH = 0.5


@dataclass(frozen=True)
class SeatSpot:
    """One seat in the target's frame (target centre at the origin, its front +Z)."""

    x: float
    z: float
    quarter_turns: int  # the seat's own turn: its front points at the target


@dataclass(frozen=True)
class Arrangement:
    spots: tuple[SeatSpot, ...]
    bounds: tuple[float, float, float, float]  # x0, x1, z0, z1 of the target, the seats and the room behind them


def side_capacity(length: float, seat_width: float) -> int:
    """How many seats of this width fit along a side this long."""
    return max(0, int((length + SEAT_SPACING + 1e-9) // (seat_width + SEAT_SPACING)))


def capacity(target: tuple[float, float], seat: tuple[float, float], wall_backed: bool) -> int:
    """Seats one target takes: along its front only when its back is on a wall, else round all four sides."""
    width, depth = target
    long_sides = side_capacity(width, seat[0]) * (1 if wall_backed else 2)
    return long_sides + (0 if wall_backed else 2 * side_capacity(depth, seat[0]))


def arrange(target: tuple[float, float], seat: tuple[float, float], count: int, wall_backed: bool) -> Arrangement:
    """Seats for `count` sitters (at most `capacity`): the long sides in turn (front, back), then the ends;
    the seats on a side spread evenly and centred, each facing the target."""
    width, depth = target
    seat_width, seat_depth = seat
    sides = [("front", width), ("back", width)] if not wall_backed else [("front", width)]
    ends = [] if wall_backed else [("east", depth), ("west", depth)]
    on_side = {name: 0 for name, _ in sides + ends}
    room = {name: side_capacity(length, seat_width) for name, length in sides + ends}
    for group in (sides, ends):
        while count and any(on_side[n] < room[n] for n, _ in group):
            for name, _ in group:
                if count and on_side[name] < room[name]:
                    on_side[name] += 1
                    count -= 1
    if count:
        raise ValueError(f"{count} more seats than the target takes")

    spots = []
    x0, x1, z0, z1 = -width / 2, width / 2, -depth / 2, depth / 2
    reach = SEAT_GAP + seat_depth / 2
    for name, length in sides + ends:
        n = on_side[name]
        if not n:
            continue
        pitch = length / room[name]
        for i in range(n):
            along = (i - (n - 1) / 2) * pitch
            if name == "front":
                spots.append(SeatSpot(along, depth / 2 + reach, 2))
                z1 = max(z1, depth / 2 + reach + seat_depth / 2 + PULL_OUT)
            elif name == "back":
                spots.append(SeatSpot(along, -depth / 2 - reach, 0))
                z0 = min(z0, -depth / 2 - reach - seat_depth / 2 - PULL_OUT)
            elif name == "east":
                spots.append(SeatSpot(width / 2 + reach, along, 3))
                x1 = max(x1, width / 2 + reach + seat_depth / 2 + PULL_OUT)
            else:
                spots.append(SeatSpot(-width / 2 - reach, along, 1))
                x0 = min(x0, -width / 2 - reach - seat_depth / 2 - PULL_OUT)
            spot = spots[-1]
            half_x, half_z = (seat_depth / 2, seat_width / 2) if spot.quarter_turns % 2 else (seat_width / 2, seat_depth / 2)
            x0, x1 = min(x0, spot.x - half_x), max(x1, spot.x + half_x)
            z0, z1 = min(z0, spot.z - half_z), max(z1, spot.z + half_z)
    return Arrangement(tuple(spots), (x0, x1, z0, z1))


def group_area(target: tuple[float, float], seat: tuple[float, float], count: int, wall_backed: bool) -> float:
    """Floor a target and `count` seats take, with the room kept round them."""
    x0, x1, z0, z1 = arrange(target, seat, count, wall_backed).bounds
    margin = 0.0 if wall_backed else 2 * GROUP_MARGIN
    return (x1 - x0 + margin) * (z1 - z0 + margin)
