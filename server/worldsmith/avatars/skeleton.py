"""The humanoid skeleton: Godot's SkeletonProfileHumanoid bones, and where they sit for a body.

Bone names, order and parents follow Godot's `SkeletonProfileHumanoid` (which took VRM 1.0's
humanoid names), so Godot's importer maps the rig with no BoneMap work and VRM/Unity names
follow by simple renaming (see sidecars.py). Rest rotations are identity, as VRM 1.0 asks: the
T-pose lives in the joint positions alone, the character faces +Z, its left hand is at +X.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from worldsmith._proto.worldsmith.v1 import avatar_pb2

FINGERS = ("Index", "Middle", "Ring", "Little")
FINGER_SEGMENTS = ("Proximal", "Intermediate", "Distal")
THUMB_SEGMENTS = ("Metacarpal", "Proximal", "Distal")


def _arm(side: str) -> list[tuple[str, str]]:
    bones = [
        (f"{side}Shoulder", "UpperChest"),
        (f"{side}UpperArm", f"{side}Shoulder"),
        (f"{side}LowerArm", f"{side}UpperArm"),
        (f"{side}Hand", f"{side}LowerArm"),
    ]
    parent = f"{side}Hand"
    for segment in THUMB_SEGMENTS:
        bones.append((f"{side}Thumb{segment}", parent))
        parent = f"{side}Thumb{segment}"
    for finger in FINGERS:
        parent = f"{side}Hand"
        for segment in FINGER_SEGMENTS:
            bones.append((f"{side}{finger}{segment}", parent))
            parent = f"{side}{finger}{segment}"
    return bones


def _leg(side: str) -> list[tuple[str, str]]:
    return [
        (f"{side}UpperLeg", "Hips"),
        (f"{side}LowerLeg", f"{side}UpperLeg"),
        (f"{side}Foot", f"{side}LowerLeg"),
        (f"{side}Toes", f"{side}Foot"),
    ]


# (name, parent) in SkeletonProfileHumanoid order: 56 bones.
BONES: tuple[tuple[str, str | None], ...] = tuple(
    [
        ("Root", None),
        ("Hips", "Root"),
        ("Spine", "Hips"),
        ("Chest", "Spine"),
        ("UpperChest", "Chest"),
        ("Neck", "UpperChest"),
        ("Head", "Neck"),
        ("LeftEye", "Head"),
        ("RightEye", "Head"),
        ("Jaw", "Head"),
    ]
    + _arm("Left")
    + _arm("Right")
    + _leg("Left")
    + _leg("Right")
)
NAMES = tuple(name for name, _ in BONES)
INDEX = {name: i for i, name in enumerate(NAMES)}
PARENTS = tuple(-1 if parent is None else INDEX[parent] for _, parent in BONES)

# The bones SkeletonProfileHumanoid marks required (Unity's 15 mandatory bones plus shoulders).
REQUIRED = (
    "Hips", "Spine", "Head",
    "LeftShoulder", "LeftUpperArm", "LeftLowerArm", "LeftHand",
    "RightShoulder", "RightUpperArm", "RightLowerArm", "RightHand",
    "LeftUpperLeg", "LeftLowerLeg", "LeftFoot",
    "RightUpperLeg", "RightLowerLeg", "RightFoot",
)


@dataclass(frozen=True)
class Proportions:
    """Body measurements in metres, derived from the parameters (and a little from the seed).

    Heights are absolute Y (feet at 0); widths are X of the left side (the right mirrors).
    """

    height: float
    head: float  # chin to crown
    girth: float  # limb and chest thickness factor from build
    belly: float  # waist and hip thickness factor from build
    crown: float
    chin: float
    neck_base: float
    shoulder: float  # axis of the arms
    hips: float  # the Hips bone
    hip_joint: float
    knee: float
    ankle: float
    shoulder_half: float  # x of the upper-arm joints
    hip_half: float  # x of the upper-leg joints
    upper_arm: float
    forearm: float
    palm: float
    finger: float  # middle finger length
    foot: float  # heel to toe tip
    head_center: tuple[float, float, float]
    head_radii: tuple[float, float, float]  # half width, half height, half depth (front)
    eye_offset: tuple[float, float, float]  # left eye centre from the head centre
    eye_radius: float
    femininity: float = 0.5  # 0 masculine .. 1 feminine figure
    muscle: float = 0.3
    neck_girth: float = 1.0  # neck thickness factor
    age: float = 30.0  # years

    @property
    def torso(self) -> float:
        return self.shoulder - self.hips

    @property
    def wrist(self) -> float:
        return self.shoulder_half + self.upper_arm + self.forearm

    @property
    def knuckles(self) -> float:
        return self.wrist + self.palm


@dataclass(frozen=True)
class BodyPlan:
    """How a folk differs from humans beyond height: neck length in head heights, and factors on
    shoulder breadth, limb girth and neck thickness."""

    neck_length: float
    breadth: float
    girth: float
    neck_girth: float


PLANS = {
    "human": BodyPlan(neck_length=0.26, breadth=1.0, girth=1.0, neck_girth=1.0),
    "dwarf": BodyPlan(neck_length=0.12, breadth=1.12, girth=1.16, neck_girth=1.25),
    "elf": BodyPlan(neck_length=0.3, breadth=0.94, girth=0.9, neck_girth=0.9),
}


def proportions(params: avatar_pb2.AvatarParameters, rng: np.random.Generator) -> Proportions:
    """Measurements for resolved parameters. `rng` adds small seeded differences between people."""
    height = params.height_m
    jitter = lambda spread: 1.0 + spread * (2.0 * rng.random() - 1.0)  # noqa: E731 - one-liner helper
    fem = params.femininity if params.HasField("femininity") else 0.5
    muscle = params.muscle if params.HasField("muscle") else 0.3
    plan = PLANS.get(params.body_plan, PLANS["human"])
    head = height / 7.8 * params.head_scale
    crown = height
    chin = crown - head
    neck_base = chin - plan.neck_length * head
    shoulder = neck_base - 0.034 * height
    hip_joint = params.leg_ratio * height
    hips = hip_joint + 0.035 * height
    knee = hip_joint * 0.555 * jitter(0.02)
    ankle = 0.045 * height
    # Broad shoulders and narrow hips, or the reverse, with the figure; muscle widens the shoulders.
    shoulder_half = height * (0.095 + 0.04 * params.shoulder_width + 0.01 * muscle - 0.01 * fem) * plan.breadth * jitter(0.02)
    hip_half = height * (0.046 + 0.012 * params.build + 0.008 * fem) * jitter(0.03)
    arm = height * jitter(0.02)
    head_radii = (0.33 * head * jitter(0.03), 0.5 * head, 0.42 * head * jitter(0.03))
    head_center = (0.0, crown - 0.5 * head, 0.012 * height)
    eye_radius = 0.052 * head
    eye_offset = (0.136 * head, -0.02 * head, head_radii[2] * 0.78)
    girth = (0.84 + 0.36 * params.build) * (1.0 + 0.16 * (muscle - 0.3)) * plan.girth * jitter(0.03)
    return Proportions(
        height=height,
        head=head,
        girth=girth,
        belly=(0.78 + 0.55 * params.build) * plan.girth * jitter(0.04),
        crown=crown,
        chin=chin,
        neck_base=neck_base,
        shoulder=shoulder,
        hips=hips,
        hip_joint=hip_joint,
        knee=knee,
        ankle=ankle,
        shoulder_half=shoulder_half,
        hip_half=hip_half,
        upper_arm=0.165 * arm,
        forearm=0.145 * arm,
        palm=0.058 * arm,
        finger=0.048 * arm,
        foot=0.152 * height * jitter(0.03),
        head_center=head_center,
        head_radii=head_radii,
        eye_offset=eye_offset,
        eye_radius=eye_radius,
        femininity=fem,
        muscle=muscle,
        neck_girth=(1.0 + 0.25 * muscle - 0.2 * fem) * plan.neck_girth,
        age=params.age if params.HasField("age") else 30.0,
    )


# Finger knuckle offsets across the palm (z, as a share of palm width) and length shares.
FINGER_LAYOUT = {"Index": (0.62, 0.92), "Middle": (0.2, 1.0), "Ring": (-0.2, 0.94), "Little": (-0.6, 0.76)}
PHALANX_SHARES = (0.46, 0.3, 0.24)
THUMB_DIRECTION = np.array([0.62, -0.2, 0.76]) / np.linalg.norm([0.62, -0.2, 0.76])
THUMB_LENGTHS = (0.42, 0.34, 0.28)  # of the middle finger


def palm_half_width(p: Proportions) -> float:
    return 0.026 * p.height * p.girth ** 0.5


def finger_radius(p: Proportions) -> float:
    return 0.0048 * p.height * p.girth ** 0.5


def joint_positions(p: Proportions) -> np.ndarray:
    """World position of every bone's head, (56, 3), in BONES order."""
    at: dict[str, tuple[float, float, float]] = {}
    cx, cy, cz = p.head_center
    at["Root"] = (0.0, 0.0, 0.0)
    at["Hips"] = (0.0, p.hips, 0.0)
    at["Spine"] = (0.0, p.hips + 0.18 * p.torso, 0.0)
    at["Chest"] = (0.0, p.hips + 0.44 * p.torso, 0.004 * p.height)
    at["UpperChest"] = (0.0, p.hips + 0.7 * p.torso, 0.004 * p.height)
    at["Neck"] = (0.0, p.neck_base - 0.01 * p.height, 0.0)
    at["Head"] = (0.0, p.chin + 0.18 * p.head, cz - 0.12 * p.head_radii[2])
    at["Jaw"] = (0.0, cy - 0.22 * p.head, cz - 0.05 * p.head)
    ex, ey, ez = p.eye_offset
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        at[f"{side}Eye"] = (sign * ex, cy + ey, cz + ez)
        at[f"{side}Shoulder"] = (sign * 0.018 * p.height, p.shoulder + 0.012 * p.height, 0.0)
        at[f"{side}UpperArm"] = (sign * p.shoulder_half, p.shoulder, 0.0)
        at[f"{side}LowerArm"] = (sign * (p.shoulder_half + p.upper_arm), p.shoulder, 0.0)
        at[f"{side}Hand"] = (sign * p.wrist, p.shoulder, 0.0)
        half = palm_half_width(p)
        for finger, (z_share, length_share) in FINGER_LAYOUT.items():
            x = p.knuckles - (0.06 if finger == "Little" else 0.0) * p.palm
            for segment, share in zip(FINGER_SEGMENTS, (0.0,) + tuple(np.cumsum(PHALANX_SHARES)[:2])):
                at[f"{side}{finger}{segment}"] = (sign * (x + share * p.finger * length_share), p.shoulder, z_share * half)
        base = np.array([p.wrist + 0.12 * p.palm, p.shoulder - 0.004 * p.height, 0.55 * half])
        for segment, offset in zip(THUMB_SEGMENTS, (0.0,) + tuple(np.cumsum(THUMB_LENGTHS)[:2])):
            point = base + THUMB_DIRECTION * offset * p.finger
            at[f"{side}Thumb{segment}"] = (sign * point[0], point[1], point[2])
        at[f"{side}UpperLeg"] = (sign * p.hip_half, p.hip_joint, 0.0)
        at[f"{side}LowerLeg"] = (sign * p.hip_half, p.knee, 0.004 * p.height)
        at[f"{side}Foot"] = (sign * p.hip_half, p.ankle, 0.0)
        at[f"{side}Toes"] = (sign * p.hip_half, 0.016 * p.height, 0.66 * p.foot - 0.2 * p.foot)
    return np.array([at[name] for name in NAMES], dtype=np.float64)
