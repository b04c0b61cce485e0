"""Hair and eyebrows: a cap grown from the scalp for every style, plus the long, tied or piled parts.

Hair stays close to the skull on top (at most about 1% of the stature), so an avatar's height is
its stature whatever the hairstyle.
"""

from __future__ import annotations

import numpy as np

from worldsmith.avatars.atlas import HAIRLINE_V
from worldsmith.avatars.body import Detail
from worldsmith.avatars.geometry import Part, chain_weights, mirror, rigid_weights, smoothstep, tube
from worldsmith.avatars.head import Head
from worldsmith.avatars.skeleton import Proportions, joint_positions, INDEX

# Hairline (elevation from the crown, radians, at the front, sides and back) and thickness in
# head heights, per style.
STYLES = {
    "buzz": ((0.75, 1.45, 2.45), 0.008),
    "short": ((0.75, 1.45, 2.45), 0.045),
    "curly": ((0.8, 1.5, 2.45), 0.06),
    "bob": ((0.95, 2.15, 2.4), 0.055),
    "long": ((0.72, 1.5, 2.4), 0.05),
    "ponytail": ((0.7, 1.45, 2.4), 0.03),
    "bun": ((0.7, 1.45, 2.4), 0.03),
    "mohawk": ((0.75, 1.45, 2.4), 0.006),
}


def hair_parts(style: str, head: Head, p: Proportions, detail: Detail, rng: np.random.Generator) -> list[Part]:
    """Every piece of hair for `style` ("bald" gives eyebrows only)."""
    parts = brows(head, p, detail)
    if style != "bald":
        if style == "long":
            parts.append(_curtain(head, p, detail))
            parts += _side_locks(head, p, detail)
        elif style == "ponytail":
            parts.append(_ponytail(head, p, detail))
        elif style == "bun":
            parts.append(_bun(head, detail))
    for part in parts:  # clear of the tile's hairline band, which fades to skin
        part.uvs[:, 1] *= 0.8 * HAIRLINE_V
    if style != "bald":
        parts.append(_cap(style, head, detail, rng))
    return parts


def hairline(style: str, phi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Elevation from the crown (radians) where the hair ends, round the head: the forehead, temples
    that curve down into sideburns in front of the ears, over the ears, and the nape; a little
    uneven, as hair grows."""
    (front, side, back), _ = STYLES[style]
    turn = np.abs(phi)
    lerp = lambda a, b, t: a + (b - a) * t  # noqa: E731
    line = np.interp(turn, [0.0, 0.5, 0.95, 1.25, 1.42, 1.6, 1.85, 2.1, 2.5, np.pi],
                     [front, front + 0.04, lerp(front, side, 0.6), max(side, 1.7), max(side, 1.92), side, side,
                      max(side, lerp(side, back, 0.6)), back, back])
    waves = rng.uniform(0.0, 2.0 * np.pi, 3)
    return line + 0.025 * (np.sin(9.0 * phi + waves[0]) + np.sin(23.0 * phi + waves[1]) + 0.5 * np.sin(41.0 * phi + waves[2]))


def _cap(style: str, head: Head, detail: Detail, rng: np.random.Generator) -> Part:
    thickness = STYLES[style][1]
    h = head.h
    columns = detail.count(64, 16)
    rows = detail.count(22, 6)
    u = np.linspace(0.0, 1.0, columns + 1)
    t = np.arange(1, rows + 1) / rows
    phi = np.tile(2.0 * np.pi * (u - 0.5), rows)
    tt = np.repeat(t, columns + 1)
    theta = tt * hairline(style, phi, rng)
    points, normals = head.surface(phi, theta)
    depth = thickness * h * (1.0 - 0.85 * smoothstep(0.7, 1.0, tt))
    if style == "mohawk":
        # A crest along the midline, forehead to nape; the sides stay shaved.
        depth = depth + 0.07 * h * np.exp(-((points[:, 0] / (0.06 * h)) ** 2)) * (1.0 - smoothstep(0.85, 1.0, tt))
    if style == "curly":
        # Seeded curls: a lumpy surface, the same for the same seed.
        lumps = rng.normal(size=(6, 5))
        k = np.arange(1, 7)[:, None]
        m = np.arange(1, 6)[None, :]
        waves = np.sin(k * phi[:, None, None] + lumps * 6.0) * np.cos(m * theta[:, None, None] * 3.0 + lumps)
        depth = depth * (1.0 + 0.2 * np.tanh(waves.sum(axis=(1, 2)) / 3.0))
    depth = depth + 0.004 * h
    points = points + normals * depth[:, None]
    first_ring = points[: columns + 1]
    top = first_ring.mean(axis=0, keepdims=True) + np.array([0.0, 0.3, 0.0]) * (first_ring[:, 1].max() - first_ring[:, 1].min())
    positions = np.concatenate([points, top]) + head.center
    uvs = np.concatenate([np.stack([np.tile(u, rows), tt], 1), [[0.5, 0.0]]])
    k, j = np.meshgrid(np.arange(rows - 1), np.arange(columns), indexing="ij")
    a = (k * (columns + 1) + j).ravel()
    b, c, d = a + 1, a + columns + 2, a + columns + 1
    pole = len(points)
    cols = np.arange(columns)
    faces = np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1), np.stack([np.full(columns, pole), cols, cols + 1], 1)])
    return Part(positions, uvs, faces.astype(np.int64), rigid_weights(len(positions), "Head").astype(np.float32), "hair", "Hair")


def _hanging(centers: np.ndarray, width: np.ndarray, depth: np.ndarray, detail: Detail, p: Proportions) -> Part:
    """A lock of hair hanging from the head down the back, following the head then the neck."""
    s = np.linspace(0.0, 1.0, len(centers))
    swept = tube(centers, np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), width, depth, s,
                 detail.count(14, 6), cap_start=True, cap_end=True)
    joints = joint_positions(p)
    y = swept.positions[:, 1]
    weights = chain_weights(-y, ["Head", "Neck", "UpperChest"],
                            [-p.height, -joints[INDEX["Head"], 1], -joints[INDEX["Neck"], 1] + 0.02 * p.height], 0.03 * p.height)
    return Part(swept.positions, swept.uvs, swept.faces, weights.astype(np.float32), "hair", "Hair")


def _curtain(head: Head, p: Proportions, detail: Detail) -> Part:
    rings = detail.count(16, 5)
    s = np.linspace(0.0, 1.0, rings)
    top = head.center[1] + 0.12 * head.h
    bottom = p.shoulder - 0.1 * p.height
    y = top + (bottom - top) * s
    back_of_head = head.center[2] - 0.95 * head.rz * 1.1
    back_of_body = -0.075 * p.height * p.girth
    z = back_of_head + (back_of_body - back_of_head) * smoothstep(0.0, 0.6, s)
    centers = np.stack([np.zeros(rings), y, z], 1)
    width = head.rx * (0.95 + 0.35 * s)
    depth = 0.012 * p.height * (1.0 - 0.4 * s)
    return _hanging(centers, width, depth, detail, p)


def _side_locks(head: Head, p: Proportions, detail: Detail) -> list[Part]:
    """Long hair falling past the ears on both sides, framing the face, to the shoulders."""
    rings = detail.count(14, 5)
    s = np.linspace(0.0, 1.0, rings)
    top = head.center[1] + 0.25 * head.h
    bottom = p.shoulder - 0.02 * p.height
    y = top + (bottom - top) * s
    x = head.rx * (0.92 + 0.2 * smoothstep(0.0, 0.5, s)) + 0.01 * p.height * smoothstep(0.5, 1.0, s)
    z = head.center[2] - 0.25 * head.rz - 0.02 * p.height * smoothstep(0.4, 1.0, s)
    centers = np.stack([x, y, np.broadcast_to(z, y.shape)], 1)
    width = 0.018 * p.height * (1.0 - 0.3 * s)
    depth = head.rz * (0.55 - 0.15 * s)
    lock = _hanging(centers, width, depth, detail, p)
    lock.positions[:, 0] = np.maximum(lock.positions[:, 0], head.rx * 0.9)  # never inside the cheek
    return [lock, mirror(lock)]


def _ponytail(head: Head, p: Proportions, detail: Detail) -> Part:
    rings = detail.count(14, 5)
    s = np.linspace(0.0, 1.0, rings)
    start = head.center + np.array([0.0, 0.15 * head.h, -1.0 * head.rz * 1.1])
    y = start[1] - 1.0 * head.h * s ** 1.3
    z = start[2] - 0.12 * head.h * np.sin(np.minimum(s * 3.0, np.pi / 2)) - 0.03 * p.height * s
    centers = np.stack([np.zeros(rings), y, z], 1)
    radius = head.h * (0.08 - 0.05 * s)
    return _hanging(centers, radius, radius * 0.9, detail, p)


def _bun(head: Head, detail: Detail) -> Part:
    rings = detail.count(8, 4)
    s = np.linspace(0.0, 1.0, rings)
    radius = 0.13 * head.h
    center = head.center + np.array([0.0, 0.22 * head.h, -1.0 * head.rz * 1.1])
    centers = center + np.stack([np.zeros(rings), np.zeros(rings), -radius * (s - 0.3)], 1)
    profile = radius * np.sqrt(np.clip(1.0 - (2.0 * s - 1.0) ** 2, 0.15, 1.0))
    swept = tube(centers, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), profile, profile, s,
                 detail.count(14, 6), cap_start=True, cap_end=True)
    return Part(swept.positions, swept.uvs, swept.faces, rigid_weights(len(swept.positions), "Head").astype(np.float32), "hair", "Hair")


def brows(head: Head, p: Proportions, detail: Detail) -> list[Part]:
    """Two eyebrows: flattened arcs just above the brow ridge, in hair colour; finer on a feminine face."""
    h = head.h
    rings = detail.count(8, 4)
    s = np.linspace(0.0, 1.0, rings)
    parts = []
    for sign in (1.0, -1.0):
        x = sign * (head.eye[0] + (s - 0.4) * 1.9 * head.eye_half[0] * 1.2)
        y = head.eye[1] + 0.085 * h + (0.018 + 0.012 * p.femininity) * h * np.sin(np.pi * np.clip(s * 1.1, 0, 1))
        theta = np.arccos(np.clip(y / head.ry, -1, 1))
        phi = np.arcsin(np.clip(x / (head.rx * np.sin(theta)), -1, 1))
        points, normals = head.surface(phi, theta)
        centers = head.center + points + normals * 0.004 * h
        tangent = np.gradient(centers, axis=0)
        tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
        side = np.cross(normals, tangent)
        side /= np.linalg.norm(side, axis=1, keepdims=True)
        width = (0.014 * h * (1.0 - 0.5 * s) + 0.004 * h) * (1.0 - 0.35 * p.femininity)
        swept = tube(centers, side, normals, width, np.full(rings, 0.004 * h), s, detail.count(8, 6), cap_start=True, cap_end=True)
        parts.append(Part(swept.positions, swept.uvs, swept.faces, rigid_weights(len(swept.positions), "Head").astype(np.float32), "hair", "Hair"))
    return parts
