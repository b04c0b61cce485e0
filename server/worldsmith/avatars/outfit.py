"""Clothes and accessories: garments are body limbs swept over part of their length and inflated,
so they share the body's skinning; accessories are small rigid solids on one bone."""

from __future__ import annotations

from typing import Callable

import numpy as np
import trimesh

from worldsmith.avatars import skeleton
from worldsmith.avatars.body import Detail, Limb
from worldsmith.avatars.geometry import Part, blend_towards, chain_weights, mirror, rigid_weights, smoothstep, tube
from worldsmith.avatars.head import Head
from worldsmith.avatars.skeleton import Proportions

# Where each accessory's flat colour sits in the accessories tile (3 x 3 cells).
ACCESSORY_CELLS = {"glasses": 0, "earrings": 1, "necklace": 2, "belt": 3, "buckle": 4, "headband": 5, "scarf": 6}


def _hem(inflate: float, start: float, end: float, open_start: bool, open_end: bool, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """Thickness that thins towards open edges, so a sleeve or a hem meets the skin under it."""

    def thickness(s: np.ndarray) -> np.ndarray:
        ramp = np.ones_like(s)
        if open_start:
            ramp *= smoothstep(start, start + width, s)
        if open_end:
            ramp *= smoothstep(end, end - width, s)
        return inflate * (0.3 + 0.7 * ramp)

    return thickness


def _garment_piece(limb: Limb, detail: Detail, kind: str, start: float, end: float, inflate: float,
                   open_ends: tuple[bool, bool], hem: float) -> Part:
    return limb.sweep(detail, tile=kind, material="Outfit", start=start, end=end,
                      inflate=_hem(inflate, start, end, *open_ends, hem), caps=(not open_ends[0], not open_ends[1]))


def garment_parts(kind: str, p: Proportions, body: dict[str, Limb], detail: Detail) -> list[Part]:
    """The pieces of one garment, both sides."""
    H = p.height
    torso, arm, leg, foot = body["torso"], body["left_arm"], body["left_leg"], body["left_foot"]
    crotch = torso.start[1]
    arm_x0 = arm.start[0]
    leg_y0 = leg.start[1]
    hem = 0.012 * H
    both = lambda part: [part, mirror(part)]  # noqa: E731
    pieces: list[Part] = []
    if kind in ("shirt", "jacket"):
        thick = (0.004 if kind == "shirt" else 0.008) * H
        bottom = p.hips - 0.01 * H if kind == "shirt" else p.hip_joint - 0.02 * H
        pieces.append(_garment_piece(torso, detail, kind, bottom - crotch, p.neck_base + 0.004 * H - crotch, thick, (True, True), hem))
        cuff = (p.shoulder_half + 0.45 * p.upper_arm if kind == "shirt" else p.wrist - 0.004 * H) - arm_x0
        pieces += both(_garment_piece(arm, detail, kind, 0.0, cuff, thick, (False, True), hem))
    elif kind in ("trousers", "shorts"):
        thick = 0.004 * H
        pieces.append(_garment_piece(torso, detail, kind, 0.0, p.hips + 0.12 * p.torso - crotch, thick, (False, True), hem))
        cuff = (p.ankle + 0.012 * H if kind == "trousers" else p.knee + 0.45 * (p.hip_joint - p.knee))
        pieces += both(_garment_piece(leg, detail, kind, 0.0, leg_y0 - cuff, thick, (False, True), hem))
    elif kind == "skirt":
        pieces.append(_skirt(torso, leg, p, detail, kind, p.knee + 0.06 * H, 0.006 * H))
    elif kind in ("robe", "dress", "gown"):
        # A body to the neck and a skirt from the waist: a robe's to the ankles with sleeves that
        # widen to the wrists, a dress's below the knees and a gown's to the ankles, with short sleeves.
        thick = (0.008 if kind == "robe" else 0.004) * H
        pieces.append(_garment_piece(torso, detail, kind, p.hips - 0.01 * H - crotch, p.neck_base + 0.006 * H - crotch, thick, (True, True), hem))
        if kind == "robe":
            sleeve = lambda s: thick + 0.03 * H * smoothstep(0.45 * arm.length, p.wrist - arm_x0, s)  # noqa: E731
            pieces += both(arm.sweep(detail, tile=kind, material="Outfit", start=0.0, end=p.wrist - 0.006 * H - arm_x0,
                                     inflate=sleeve, caps=(True, False)))
            pieces.append(_skirt(torso, leg, p, detail, kind, p.ankle + 0.012 * H, thick))
        else:
            pieces += both(_garment_piece(arm, detail, kind, 0.0, p.shoulder_half + 0.3 * p.upper_arm - arm_x0, thick, (False, True), hem))
            hem_at = p.knee - 0.4 * (p.knee - p.ankle) if kind == "dress" else p.ankle + 0.012 * H
            pieces.append(_skirt(torso, leg, p, detail, kind, hem_at, thick))
    elif kind == "plate_armour":
        # Breastplate, pauldrons round the shoulders, vambraces on the forearms, a skirt of lames.
        plate = 0.02 * H
        pieces.append(_garment_piece(torso, detail, kind, p.hip_joint - crotch, p.neck_base + 0.008 * H - crotch, plate, (True, True), hem))
        pauldron = lambda s: 0.026 * H * (0.35 + 0.65 * np.sin(np.pi * np.clip(s / (0.55 * p.upper_arm + 0.035 * H), 0, 1)) ** 0.5)  # noqa: E731
        pieces += both(arm.sweep(detail, tile=kind, material="Outfit", start=0.0, end=0.55 * p.upper_arm + 0.035 * H,
                                 inflate=pauldron, caps=(True, True)))
        elbow = p.shoulder_half + p.upper_arm - arm_x0
        pieces += both(_garment_piece(arm, detail, kind, elbow + 0.01 * H, p.wrist - 0.008 * H - arm_x0, 0.012 * H, (True, True), hem))
        pieces.append(_skirt(torso, leg, p, detail, kind, p.knee + 0.45 * (p.hip_joint - p.knee), plate))
    elif kind == "leather_armour":
        thick = 0.012 * H
        pieces.append(_garment_piece(torso, detail, kind, p.hips - 0.01 * H - crotch, p.neck_base + 0.006 * H - crotch, thick, (True, True), hem))
        guard = lambda s: thick + 0.01 * H * np.sin(np.pi * np.clip(s / (0.45 * p.upper_arm + 0.035 * H), 0, 1))  # noqa: E731
        pieces += both(arm.sweep(detail, tile=kind, material="Outfit", start=0.0, end=0.45 * p.upper_arm + 0.035 * H,
                                 inflate=guard, caps=(True, False)))
        pieces.append(_skirt(torso, leg, p, detail, kind, p.knee + 0.55 * (p.hip_joint - p.knee), thick))
    elif kind == "apron":
        pieces.append(_apron(torso, leg, p, detail))
    elif kind in ("boots", "shoes"):
        thick = (0.006 if kind == "boots" else 0.004) * H
        top = p.knee - 0.12 * (p.knee - p.ankle) if kind == "boots" else p.ankle + 0.02 * H
        pieces += both(_garment_piece(leg, detail, kind, leg_y0 - top, leg.length, thick, (True, False), hem * 0.5))
        pieces += both(foot.sweep(detail, tile=kind, material="Outfit", inflate=thick))
    elif kind == "gloves":
        thick = 0.002 * H
        pieces += both(_garment_piece(arm, detail, kind, p.wrist - 0.03 * H - arm_x0, arm.length, thick, (True, False), hem * 0.5))
        for name, limb in body.items():
            if name in ("left_thumb", "left_index", "left_middle", "left_ring", "left_little"):
                pieces += both(limb.sweep(detail, tile=kind, material="Outfit", inflate=thick * 0.8))
    elif kind == "cloak":
        pieces.append(_cloak(torso, leg, p, detail))
    return pieces


def _skirt(torso: Limb, leg: Limb, p: Proportions, detail: Detail, tile: str, bottom: float, thick: float) -> Part:
    """A skirt from the waist down to `bottom`, flaring out round the legs; `thick` is its distance
    from the body at the waist."""
    H = p.height
    crotch = torso.start[1]
    top = p.hips + 0.1 * p.torso
    rings = detail.count(20 + int(24 * (p.knee - bottom) / H), 5)
    y = np.linspace(top, bottom, rings)
    waist_side, waist_up, waist_shift = (float(v[0]) for v in torso.profile(np.array([top - crotch])))
    flare = smoothstep(top, bottom, y)
    # Wide enough for the hips under it, flaring out towards the knees.
    body_side, body_up, _ = torso.profile(np.clip(y - crotch, 0.0, torso.length))
    spread = smoothstep(top, p.knee, y)
    hem = 0.05 * H * np.clip(flare - spread, 0.0, None) + 0.04 * H * smoothstep(p.knee, p.ankle, y)
    # Round the thighs as well as the hips: the legs stand apart under it.
    leg_side, leg_up, _ = leg.profile(np.clip(leg.start[1] - y, 0.0, leg.length))
    legs = np.where(y < leg.start[1], p.hip_half + leg_side, 0.0)
    width = np.maximum.reduce([(waist_side + thick) + spread * (p.hip_half + 0.06 * H - waist_side) + hem,
                               body_side + thick + 0.002 * H, legs + thick + 0.004 * H])
    depth = np.maximum.reduce([(waist_up + thick) + spread * 0.03 * H + 0.8 * hem, body_up + thick + 0.002 * H,
                               np.where(y < leg.start[1], leg_up, 0.0) + thick + 0.004 * H])
    centers = np.stack([np.zeros(rings), y, np.full(rings, waist_shift)], 1)
    swept = tube(centers, np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), width, depth, y, detail.count(36, 10))
    x = swept.positions[:, 0]
    down = smoothstep(p.hip_joint, bottom, swept.positions[:, 1])
    weights = rigid_weights(len(x), "Hips")
    weights = blend_towards(weights, "LeftUpperLeg", 0.6 * down * smoothstep(0.0, p.hip_half, x))
    weights = blend_towards(weights, "RightUpperLeg", 0.6 * down * smoothstep(0.0, p.hip_half, -x))
    return Part(swept.positions, swept.uvs, swept.faces, weights.astype(np.float32), tile, "Outfit")


def _cloak(torso: Limb, leg: Limb, p: Proportions, detail: Detail) -> Part:
    """A slab hanging from the shoulder blades to below the knees, clear of the back and legs."""
    H = p.height
    crotch = torso.start[1]
    top = p.shoulder + 0.012 * H
    bottom = p.knee - 0.12 * H
    rings = detail.count(30, 6)
    y = np.linspace(top, bottom, rings)
    torso_s = np.clip(y - crotch, 0.0, torso.length)
    _, torso_depth, torso_shift = torso.profile(torso_s)
    leg_s = np.clip(leg.start[1] - y, 0.0, leg.length)
    _, leg_depth, leg_shift = leg.profile(leg_s)
    back = np.where(y >= crotch, torso_depth - torso_shift, np.where(y <= leg.start[1], leg_depth - leg_shift, 0.0))
    back = np.maximum.accumulate(back)  # the cloth hangs: once clear of the back it stays clear
    z = -(back + 0.011 * H)
    fall = smoothstep(top, bottom, y)
    width = p.shoulder_half * (1.0 + 0.45 * fall) + 0.02 * H
    depth = np.full(rings, 0.006 * H)
    centers = np.stack([np.zeros(rings), y, z], 1)
    swept = tube(centers, np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), width, depth, y, detail.count(30, 10),
                 exponent=3.0, cap_start=True, cap_end=True)
    joints = skeleton.joint_positions(p)
    at = lambda name: joints[skeleton.INDEX[name], 1]  # noqa: E731
    weights = chain_weights(-swept.s, ["UpperChest", "Chest", "Spine", "Hips"], [-top, -at("UpperChest"), -at("Chest"), -at("Spine")], 0.03 * H)
    return Part(swept.positions, swept.uvs, swept.faces, weights.astype(np.float32), "cloak", "Outfit")


def _apron(torso: Limb, leg: Limb, p: Proportions, detail: Detail) -> Part:
    """A slab hanging in front from the chest to below the knees, clear of the chest, belly and legs."""
    H = p.height
    crotch = torso.start[1]
    top = p.hips + 0.78 * p.torso
    bottom = p.knee - 0.1 * (p.knee - p.ankle)
    rings = detail.count(30, 6)
    y = np.linspace(top, bottom, rings)
    # The body's front on a fine grid (the paunch is narrower than the rings are apart).
    fine = np.linspace(top, bottom, 240)
    _, torso_depth, torso_shift = torso.profile(np.clip(fine - crotch, 0.0, torso.length))
    chest = 0.0
    if torso.relief is not None:  # the bust and the paunch, wherever across the front they stand out most
        chest = np.max([torso.relief(np.stack([np.full(len(fine), x), fine, torso_depth + torso_shift], 1))[:, 2]
                        for x in (0.0, 0.05 * H)], axis=0)
    _, leg_depth, leg_shift = leg.profile(np.clip(leg.start[1] - fine, 0.0, leg.length))
    front = np.where(fine >= crotch, torso_depth + torso_shift + chest, np.where(fine <= leg.start[1], leg_depth + leg_shift, 0.0))
    front = np.maximum.accumulate(front)  # it hangs: once clear of the belly it stays clear
    z = np.interp(-y, -fine, front) + 0.012 * H
    widen = smoothstep(top, p.hips, y)
    width = 0.06 * H + widen * (p.hip_half + 0.035 * H - 0.06 * H) * p.girth ** 0.5
    centers = np.stack([np.zeros(rings), y, z], 1)
    swept = tube(centers, np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), width, np.full(rings, 0.004 * H), y, detail.count(24, 10),
                 exponent=3.0, cap_start=True, cap_end=True)
    joints = skeleton.joint_positions(p)
    at = lambda name: joints[skeleton.INDEX[name], 1]  # noqa: E731
    weights = chain_weights(-swept.positions[:, 1], ["UpperChest", "Chest", "Spine", "Hips"],
                            [-top, -at("UpperChest"), -at("Chest"), -at("Spine")], 0.03 * H)
    return Part(swept.positions, swept.uvs, swept.faces, weights.astype(np.float32), "apron", "Outfit")


def _solid(mesh: trimesh.Trimesh, bone: str, cell: int) -> Part:
    """A rigid accessory painted with one accessories-tile cell."""
    row, col = divmod(cell, 3)
    uv = np.array([(col + 0.5) / 3.0, (row + 0.5) / 3.0])
    positions = np.asarray(mesh.vertices, dtype=np.float64)
    return Part(positions, np.tile(uv, (len(positions), 1)), np.asarray(mesh.faces, dtype=np.int64),
                rigid_weights(len(positions), bone).astype(np.float32), "accessories", "Outfit")


def _ring(center: np.ndarray, radius_x: float, radius_z: float, thickness: float, tilt: float, segments: int) -> trimesh.Trimesh:
    """A closed elliptical band around a vertical axis, its front tipped down by `tilt` radians."""
    angle = np.linspace(0.0, 2.0 * np.pi, segments + 1)
    local = np.stack([radius_x * np.sin(angle), np.zeros_like(angle), radius_z * np.cos(angle)], 1)
    outward = np.stack([np.sin(angle) / radius_x, np.zeros_like(angle), np.cos(angle) / radius_z], 1)
    outward /= np.linalg.norm(outward, axis=1, keepdims=True)
    tip = trimesh.transformations.rotation_matrix(tilt, [1, 0, 0])[:3, :3]
    centers = local @ tip.T + center
    up = np.broadcast_to(tip @ np.array([0.0, 1.0, 0.0]), centers.shape)
    swept = tube(centers, outward @ tip.T, up, np.full(len(angle), thickness), np.full(len(angle), thickness), angle, 8)
    return trimesh.Trimesh(swept.positions, swept.faces, process=False)


def accessory_parts(name: str, head: Head, p: Proportions, body: dict[str, Limb], hair_thickness: float, detail: Detail) -> list[Part]:
    """One accessory's pieces ("elf_ears" shapes the ears instead, see head.py)."""
    H, h = p.height, head.h
    sections = lambda n: detail.count(n, 6)  # noqa: E731
    cell = ACCESSORY_CELLS.get(name)
    if name == "glasses":
        lens = 1.5 * head.eye_half[0]
        z = head.center[2] + head.eye[2] + 1.35 * head.eye_radius
        y = head.center[1] + head.eye[1]
        parts = []
        for sign in (1.0, -1.0):
            x = sign * head.eye[0]
            rim = trimesh.creation.torus(lens, 0.006 * h, sections(20), sections(8))
            rim.apply_translation((x, y, z))
            parts.append(_solid(rim, "Head", cell))
            temple = [(sign * (head.eye[0] + lens), y, z), (sign * (head.rx * 1.04), y + 0.01 * h, head.center[2] - 0.1 * h)]
            parts.append(_solid(trimesh.creation.cylinder(radius=0.005 * h, segment=temple, sections=sections(8)), "Head", cell))
        bridge = [(head.eye[0] - lens, y + 0.01 * h, z), (-head.eye[0] + lens, y + 0.01 * h, z)]
        parts.append(_solid(trimesh.creation.cylinder(radius=0.005 * h, segment=bridge, sections=sections(8)), "Head", cell))
        return parts
    if name == "earrings":
        parts = []
        for sign in (1.0, -1.0):
            hoop = trimesh.creation.torus(0.035 * h, 0.005 * h, sections(16), sections(6))
            hoop.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
            hoop.apply_translation((sign * head.rx * 1.04, head.center[1] + head.eye[1] - 0.24 * h, head.center[2] - 0.05 * h))
            parts.append(_solid(hoop, "Head", cell))
        return parts
    if name == "necklace":
        torso = body["torso"]
        y = p.neck_base - 0.012 * H
        side, depth, shift = (float(v[0]) for v in torso.profile(np.array([y - torso.start[1]])))
        ring = _ring(np.array([0.0, y, shift]), side + 0.008 * H, depth + 0.008 * H, 0.003 * H, 0.35, sections(32))
        return [_solid(ring, "UpperChest", cell)]
    if name == "belt":
        torso = body["torso"]
        waist = p.hips + 0.1 * p.torso - torso.start[1]
        band = torso.sweep(detail, tile="accessories", material="Outfit", start=waist - 0.014 * H, end=waist + 0.014 * H,
                           inflate=0.013 * H, caps=(False, False), segments=30)
        row, col = divmod(cell, 3)
        band.uvs[:] = ((col + 0.5) / 3.0, (row + 0.5) / 3.0)
        _, depth, shift = (float(v[0]) for v in torso.profile(np.array([waist])))
        buckle = trimesh.creation.box(extents=(0.04 * H, 0.032 * H, 0.006 * H))
        buckle.apply_translation((0.0, waist + torso.start[1], shift + depth + 0.015 * H))
        return [band, _solid(buckle, "Hips", ACCESSORY_CELLS["buckle"])]
    if name == "headband":
        # Round the head above the brow, over the hair where there is hair.
        eta = 0.55
        across = np.sqrt(1.0 - eta * eta)
        front, back = head.rz * across, 1.1 * head.rz * across
        lift = (hair_thickness + 0.008) * h
        center = head.center + np.array([0.0, eta * head.ry, (front - back) / 2.0])
        band = _ring(center, head.rx * across + lift, (front + back) / 2.0 + lift, 0.012 * h, 0.0, sections(32))
        return [_solid(band, "Head", cell)]
    if name == "scarf":
        torso = body["torso"]
        start = p.neck_base - 0.006 * H - torso.start[1]
        wrap = torso.sweep(detail, tile="accessories", material="Outfit", start=start, end=start + 0.045 * H,
                           inflate=0.016 * H, caps=(False, False), segments=24)
        row, col = divmod(cell, 3)
        wrap.uvs[:] = ((col + 0.5) / 3.0, (row + 0.5) / 3.0)
        return [wrap]
    return []
