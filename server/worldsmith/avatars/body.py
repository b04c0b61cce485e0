"""The body below the head: torso, arms, hands, legs and feet as swept tubes with skin weights.

Every limb is a `Limb`: a straight path (T-pose limbs are straight), a radius profile along it
and a weighting rule. Garments reuse the same limbs, swept over part of the path and inflated,
so clothes follow the body and its skinning exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np
from scipy.interpolate import PchipInterpolator

from worldsmith.avatars import skeleton
from worldsmith.avatars.geometry import Part, blend_towards, chain_weights, mirror, smoothstep, tube
from worldsmith.avatars.skeleton import Proportions

X, Y, Z = np.eye(3)


@dataclass(frozen=True)
class Detail:
    """Tessellation for one LOD: counts scale with the square root of the triangle ratio."""

    ratio: float

    def count(self, base: int, minimum: int) -> int:
        return max(minimum, int(round(base * math.sqrt(self.ratio))))


@dataclass(frozen=True)
class Limb:
    """A straight segment of the body: `s` is metres along `direction` from `start`."""

    name: str
    start: np.ndarray
    direction: np.ndarray
    side: np.ndarray
    up: np.ndarray
    stations: tuple[float, ...]
    radius_side: tuple[float, ...]
    radius_up: tuple[float, ...]
    offset_up: tuple[float, ...]
    weigh: Callable[[np.ndarray, np.ndarray], np.ndarray]  # (s, positions) -> (n, bones)
    rings: int
    segments: int
    exponent: float = 2.0
    floor: bool = False  # flatten below y = 0 (soles)
    relief: Callable[[np.ndarray], np.ndarray] | None = None  # positions -> outward offsets (the chest)

    @property
    def length(self) -> float:
        return self.stations[-1]

    @cached_property
    def _curves(self) -> PchipInterpolator:
        return PchipInterpolator(self.stations, np.stack([self.radius_side, self.radius_up, self.offset_up], axis=1))

    def profile(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Side radius, up radius and centre shift at path positions `s`."""
        values = self._curves(s)
        return values[..., 0], values[..., 1], values[..., 2]

    def sweep(
        self,
        detail: Detail,
        *,
        tile: str,
        material: str,
        start: float = 0.0,
        end: float | None = None,
        inflate: float | Callable[[np.ndarray], np.ndarray] = 0.0,
        caps: tuple[bool, bool] = (True, True),
        segments: int | None = None,
    ) -> Part:
        end = self.length if end is None else end
        rings = detail.count(max(2, round(self.rings * (end - start) / self.length)), 3)
        s = np.linspace(start, end, rings)
        radius_side, radius_up, offset_up = self.profile(s)
        inflate = inflate(s) if callable(inflate) else np.full_like(s, inflate)
        centers = self.start + s[:, None] * self.direction + offset_up[:, None] * self.up
        swept = tube(
            centers, self.side, self.up, radius_side + inflate, radius_up + inflate, s,
            detail.count(segments or self.segments, 6), exponent=self.exponent, cap_start=caps[0], cap_end=caps[1],
        )
        positions = swept.positions
        if self.floor:
            positions[:, 1] = np.maximum(positions[:, 1], 0.0)
        if self.relief is not None:
            positions = positions + self.relief(positions)
        weights = self.weigh(swept.s, positions)
        return Part(positions, swept.uvs, swept.faces, weights.astype(np.float32), tile, material)


def _frame(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A cross-section frame for a tilted path (the thumb)."""
    side = np.cross(direction, Y)
    side /= np.linalg.norm(side)
    return side, np.cross(side, direction)


def limbs(p: Proportions) -> dict[str, Limb]:
    """The left side and the torso; the right side is their mirror image."""
    H = p.height
    joints = skeleton.joint_positions(p)
    at = lambda name: joints[skeleton.INDEX[name]]  # noqa: E731

    # Torso and neck, from the crotch into the head. Widths are X half-widths, depths Z.
    crotch = p.hip_joint - 0.045 * H
    armpit = p.shoulder - 0.02 * H
    top = p.chin + 0.25 * p.head
    torso_y = np.array([crotch, p.hip_joint, p.hips, p.hips + 0.38 * p.torso, p.hips + 0.72 * p.torso, armpit,
                        p.shoulder + 0.016 * H, p.shoulder + 0.028 * H, p.neck_base + 0.012 * H, top])
    g, b, f = p.girth, p.belly, p.femininity
    # The neck: thicker with muscle and on men and dwarves, never wider than the jaw.
    n = min(p.neck_girth * g ** 0.5, 0.8 * p.head_radii[0] / (0.034 * H))
    hip, waist, trapezius = 1.0 + 0.12 * f, 1.0 - 0.12 * f, 1.0 + 0.3 * p.muscle
    # Shoulder tops slope into the neck (the trapezius) over the last stations.
    # Broad shoulders carry a broad upper chest with them.
    breadth = max(0.0, p.shoulder_half / H - 0.125)
    width = np.array([0.07 * b * hip, 0.099 * b * hip, 0.097 * b * hip, 0.083 * b * waist, 0.094 * g * (1.0 - 0.06 * f) + 1.4 * breadth,
                      max(0.097 * g, p.shoulder_half / H * 0.9), p.shoulder_half / H * 0.8, 0.062 * g * trapezius,
                      0.034 * n, 0.031 * n]) * H
    depth = np.array([0.05 * b, 0.062 * b, 0.06 * b, 0.057 * b * waist ** 0.5, 0.066 * g, 0.062 * g, 0.05 * g, 0.045 * g,
                      0.034 * n, 0.031 * n]) * H
    shift = np.array([-0.004, -0.006, -0.004, 0.002, 0.008, 0.006, 0.0, -0.002, 0.0, 0.006]) * H

    def weigh_torso(s: np.ndarray, positions: np.ndarray) -> np.ndarray:
        y = s + crotch
        weights = chain_weights(y, ["Hips", "Spine", "Chest", "UpperChest", "Neck", "Head"],
                                [crotch, at("Spine")[1], at("Chest")[1], at("UpperChest")[1], at("Neck")[1], at("Head")[1]], 0.022 * H)
        x = positions[:, 0]
        for side, sign in (("Left", 1.0), ("Right", -1.0)):
            shoulder = smoothstep(0.45 * p.shoulder_half, 0.95 * p.shoulder_half, sign * x) * smoothstep(armpit - 0.05 * H, armpit, y)
            weights = blend_towards(weights, f"{side}Shoulder", 0.85 * shoulder)
            thigh = smoothstep(p.hip_joint + 0.02 * H, crotch, y) * smoothstep(0.0, p.hip_half * 1.2, sign * x)
            weights = blend_towards(weights, f"{side}UpperLeg", 0.6 * thigh)
        return weights

    torso = Limb("torso", np.array([0.0, crotch, 0.0]), Y, X, Z, tuple(torso_y - crotch), tuple(width), tuple(depth), tuple(shift),
                 weigh_torso, rings=40, segments=30, exponent=2.4, relief=chest_relief(p))

    # Left arm along +X, palm down: cross-section side is Z (palm width), up is Y.
    arm_x0 = p.shoulder_half - 0.035 * H
    elbow = p.shoulder_half + p.upper_arm
    palm_half = skeleton.palm_half_width(p)
    arm_x = np.array([arm_x0, p.shoulder_half, p.shoulder_half + 0.35 * p.upper_arm, elbow, elbow + 0.3 * p.forearm,
                      p.wrist, p.wrist + 0.45 * p.palm, p.knuckles])
    strong = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]) * 0.3 * (p.muscle - 0.3) + 1.0  # biceps and forearms
    arm_z = strong * np.array([0.034 * g * H, 0.033 * g * H, 0.028 * g * H, 0.02 * g * H, 0.024 * g * H, 0.016 * H * g ** 0.5, palm_half, 0.93 * palm_half])
    arm_y = strong * np.array([0.036 * g, 0.034 * g, 0.028 * g, 0.02 * g, 0.021 * g, 0.011 * g ** 0.5, 0.012 * g ** 0.5, 0.009 * g ** 0.5]) * H

    def weigh_arm(s: np.ndarray, positions: np.ndarray) -> np.ndarray:
        x = s + arm_x0
        weights = chain_weights(x, ["LeftShoulder", "LeftUpperArm", "LeftLowerArm", "LeftHand"],
                                [arm_x0, p.shoulder_half - 0.005 * H, elbow, p.wrist], 0.02 * H)
        return weights

    arm = Limb("left_arm", np.array([arm_x0, p.shoulder, 0.0]), X, Z, Y, tuple(arm_x - arm_x0), tuple(arm_z), tuple(arm_y),
               (0.0,) * len(arm_x), weigh_arm, rings=34, segments=16)

    result = {"torso": torso, "left_arm": arm}
    radius = skeleton.finger_radius(p)
    for finger, (_, length_share) in skeleton.FINGER_LAYOUT.items():
        base = at(f"Left{finger}Proximal")
        x0 = base[0] - 0.25 * p.palm
        length = base[0] - x0 + p.finger * length_share
        bones = [f"Left{finger}{segment}" for segment in skeleton.FINGER_SEGMENTS]
        starts = [at(name)[0] - x0 for name in bones]

        def weigh_finger(s, positions, bones=bones, starts=starts):
            return chain_weights(s, ["LeftHand"] + bones, [0.0] + starts, 0.004 * H)

        r = radius * length_share ** 0.3
        stations = (0.0, starts[0], starts[1], starts[2], length)
        result[f"left_{finger.lower()}"] = Limb(
            f"left_{finger.lower()}", np.array([x0, base[1], base[2]]), X, Z, Y, stations,
            (r, r, 0.92 * r, 0.85 * r, 0.78 * r), (0.85 * r, 0.85 * r, 0.8 * r, 0.75 * r, 0.68 * r), (0.0,) * 5,
            weigh_finger, rings=12, segments=8)

    thumb_bones = [f"LeftThumb{segment}" for segment in skeleton.THUMB_SEGMENTS]
    thumb_base = at(thumb_bones[0]) - skeleton.THUMB_DIRECTION * 0.2 * p.palm
    thumb_starts = [float(np.dot(at(name) - thumb_base, skeleton.THUMB_DIRECTION)) for name in thumb_bones]
    thumb_length = thumb_starts[-1] + skeleton.THUMB_LENGTHS[-1] * p.finger
    side, up = _frame(skeleton.THUMB_DIRECTION)
    r = 1.2 * radius

    def weigh_thumb(s, positions):
        return chain_weights(s, ["LeftHand"] + thumb_bones, [0.0] + thumb_starts, 0.005 * H)

    result["left_thumb"] = Limb("left_thumb", thumb_base, skeleton.THUMB_DIRECTION, side, up,
                                (0.0, thumb_starts[0], thumb_starts[1], thumb_starts[2], thumb_length),
                                (1.3 * r, 1.15 * r, r, 0.92 * r, 0.8 * r), (1.1 * r, r, 0.9 * r, 0.82 * r, 0.7 * r), (0.0,) * 5,
                                weigh_thumb, rings=12, segments=8)

    # Left leg, down -Y; side X, up Z.
    leg_y0 = p.hip_joint + 0.04 * H
    leg_end = p.ankle - 0.012 * H
    thigh = (p.hip_joint - p.knee)
    calf = p.knee - p.ankle
    leg_y = np.array([leg_y0, p.hip_joint, p.hip_joint - 0.25 * thigh, p.knee + 0.1 * thigh, p.knee, p.knee - 0.28 * calf,
                      p.ankle + 0.03 * H, p.ankle, leg_end])
    lg = p.girth * p.belly ** 0.3
    leg_x = np.array([0.058, 0.057, 0.05, 0.034, 0.031, 0.034, 0.02, 0.018, 0.017]) * H * lg
    leg_z = np.array([0.055, 0.056, 0.05, 0.035, 0.033, 0.036, 0.021, 0.02, 0.019]) * H * lg
    leg_shift = np.array([-0.004, -0.004, 0.0, 0.002, 0.003, -0.006, -0.002, 0.0, 0.0]) * H

    def weigh_leg(s: np.ndarray, positions: np.ndarray) -> np.ndarray:
        y = leg_y0 - s
        weights = chain_weights(-y, ["LeftUpperLeg", "LeftLowerLeg", "LeftFoot"], [-leg_y0, -p.knee, -p.ankle], 0.025 * H)
        return blend_towards(weights, "Hips", 0.5 * smoothstep(p.hip_joint - 0.03 * H, leg_y0, y))

    result["left_leg"] = Limb("left_leg", np.array([p.hip_half, leg_y0, 0.0]), -Y, X, Z, tuple(leg_y0 - leg_y), tuple(leg_x),
                              tuple(leg_z), tuple(leg_shift), weigh_leg, rings=40, segments=18)

    # Left foot, heel to toe along +Z; flat sole at y = 0.
    foot = p.foot
    heel = -0.2 * foot
    ball = at("LeftToes")[2]
    foot_z = np.array([0.0, 0.15, 0.35, 0.66, 0.9, 1.0]) * foot
    foot_w = np.array([0.021, 0.025, 0.029, 0.033, 0.028, 0.02]) * H * p.girth ** 0.5
    foot_h = np.array([0.024, 0.032, 0.028, 0.016, 0.011, 0.009]) * H
    foot_c = np.array([0.026, 0.032, 0.027, 0.016, 0.012, 0.011]) * H

    def weigh_foot(s: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return chain_weights(s + heel, ["LeftFoot", "LeftToes"], [heel, ball], 0.012 * H)

    result["left_foot"] = Limb("left_foot", np.array([p.hip_half, 0.0, heel]), Z, X, Y, tuple(foot_z), tuple(foot_w), tuple(foot_h),
                               tuple(foot_c), weigh_foot, rings=18, segments=16, exponent=2.6, floor=True)
    return result


def chest_relief(p: Proportions) -> Callable[[np.ndarray], np.ndarray]:
    """Breasts on a feminine figure, pectorals on a muscular masculine one (two bumps on the front
    of the chest) and a paunch on a heavy one, pushing points forward."""
    H = p.height
    y0 = p.hips + 0.66 * p.torso
    bust = 0.03 * H * smoothstep(0.45, 0.85, p.femininity)
    pecs = 0.008 * H * p.muscle * (1.0 - p.femininity)
    x0, radius = 0.05 * H * p.girth ** 0.5, 0.034 * H * p.girth ** 0.5
    paunch, paunch_y = 0.035 * H * smoothstep(1.05, 1.33, p.belly), p.hips + 0.25 * p.torso

    def relief(positions: np.ndarray) -> np.ndarray:
        x, y, z = positions[:, 0], positions[:, 1], positions[:, 2]
        shape = np.exp(-((np.abs(x) - x0) ** 2 + ((y - y0) * 1.25) ** 2) / radius ** 2)
        below = np.where(y < y0, 1.0, 0.6)  # fuller underneath
        belly = paunch * np.exp(-(x / (0.09 * H)) ** 2 - ((y - paunch_y) / (0.07 * H)) ** 2)
        push = ((bust * below + pecs) * shape + belly) * smoothstep(0.0, 0.04 * H, z)
        return np.stack([np.zeros_like(x), -0.15 * push, push], axis=1)

    return relief


def body_parts(body: dict[str, Limb], detail: Detail) -> list[Part]:
    """The skin below the head, both sides."""
    parts = [limb.sweep(detail, tile="skin", material="Skin") for limb in body.values()]
    torso, left = parts[0], parts[1:]
    return [torso] + left + [mirror(part) for part in left]
