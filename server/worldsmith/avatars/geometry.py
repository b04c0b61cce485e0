"""Mesh pieces: a skinned part, swept tubes, chain weights, mirroring and smooth normals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from worldsmith.avatars import skeleton

BONE_COUNT = len(skeleton.NAMES)


@dataclass
class Part:
    """One piece of an avatar: vertices, faces, tile-local UVs and dense per-bone weights.

    `tile` names the atlas tile its UVs ([0, 1] inside the tile) point into; `material` the glTF
    material (primitive) it joins. `morphs` holds blend-shape offsets by name (absent: none).
    """

    positions: np.ndarray  # (n, 3) float64
    uvs: np.ndarray  # (n, 2) tile-local
    faces: np.ndarray  # (m, 3) int64, counter-clockwise seen from outside
    weights: np.ndarray  # (n, BONE_COUNT) float32, rows sum to 1
    tile: str
    material: str
    morphs: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Tube:
    """A swept surface before skinning: rings of vertices around a path, plus end domes."""

    positions: np.ndarray
    uvs: np.ndarray
    faces: np.ndarray
    s: np.ndarray  # path parameter of each vertex's ring
    angle: np.ndarray  # angle of each vertex around the path


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def tube(
    centers: np.ndarray,
    side: np.ndarray,
    up: np.ndarray,
    radius_side: np.ndarray,
    radius_up: np.ndarray,
    s: np.ndarray,
    segments: int,
    *,
    exponent: float = 2.0,
    cap_start: bool = False,
    cap_end: bool = False,
) -> Tube:
    """Sweep a (super)ellipse along `centers` (K rings). `side`/`up` are per-ring unit axes of the
    cross-section, (K, 3) or (3,); radii per ring. UV u runs around, v along s."""
    count = len(centers)
    side = np.broadcast_to(side, (count, 3))
    up = np.broadcast_to(up, (count, 3))
    angles = np.linspace(0.0, 2.0 * np.pi, segments + 1)  # last column repeats the first (UV seam)
    cos, sin = np.cos(angles), np.sin(angles)
    power = 2.0 / exponent
    cx = np.sign(cos) * np.abs(cos) ** power
    cy = np.sign(sin) * np.abs(sin) ** power
    rings = [centers[:, None, :] + (radius_side[:, None] * cx)[..., None] * side[:, None, :] + (radius_up[:, None] * cy)[..., None] * up[:, None, :]]
    ring_s = [s]
    tangent_start = centers[1] - centers[0]
    tangent_start /= np.linalg.norm(tangent_start)
    tangent_end = centers[-1] - centers[-2]
    tangent_end /= np.linalg.norm(tangent_end)

    def dome(index: int, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        reach = 0.8 * min(radius_side[index], radius_up[index])
        domes = []
        for lift in (0.45, 0.8):
            shrink = np.sqrt(1.0 - lift * lift)
            ring = (
                centers[index]
                + tangent * reach * lift
                + (shrink * radius_side[index] * cx)[:, None] * side[index]
                + (shrink * radius_up[index] * cy)[:, None] * up[index]
            )
            domes.append(ring)
        pole = centers[index] + tangent * reach
        return np.stack(domes), pole

    grid = rings[0]
    poles = []
    if cap_start:
        start_rings, start_pole = dome(0, -tangent_start)
        grid = np.concatenate([start_rings[::-1], grid])
        ring_s = [np.full(2, s[0])] + ring_s
        poles.append(("start", start_pole))
    if cap_end:
        end_rings, end_pole = dome(count - 1, tangent_end)
        grid = np.concatenate([grid, end_rings])
        ring_s = ring_s + [np.full(2, s[-1])]
        poles.append(("end", end_pole))
    ring_s = np.concatenate(ring_s)
    n_rings, n_cols = grid.shape[0], segments + 1

    positions = grid.reshape(-1, 3)
    span = max(s[-1] - s[0], 1e-9)
    u = np.tile(np.linspace(0.0, 1.0, n_cols), n_rings)
    v = np.repeat((ring_s - s[0]) / span, n_cols)
    uvs = np.stack([u, v], axis=1)
    vertex_s = np.repeat(ring_s, n_cols)
    vertex_angle = np.tile(angles, n_rings)

    k, j = np.meshgrid(np.arange(n_rings - 1), np.arange(segments), indexing="ij")
    a = (k * n_cols + j).ravel()
    b = a + 1
    c = a + n_cols + 1
    d = a + n_cols
    faces = [np.stack([a, b, c], 1), np.stack([a, c, d], 1)]

    extra_positions, extra_uvs, extra_s, extra_angle = [], [], [], []
    for which, pole in poles:
        index = len(positions) + len(extra_positions)
        extra_positions.append(pole)
        extra_uvs.append((0.5, 0.0 if which == "start" else 1.0))
        extra_s.append(s[0] if which == "start" else s[-1])
        extra_angle.append(0.0)
        cols = np.arange(segments)
        if which == "start":
            faces.append(np.stack([np.full(segments, index), cols + 1, cols], 1))
        else:
            last = (n_rings - 1) * n_cols
            faces.append(np.stack([last + cols, last + cols + 1, np.full(segments, index)], 1))
    if extra_positions:
        positions = np.concatenate([positions, np.array(extra_positions)])
        uvs = np.concatenate([uvs, np.array(extra_uvs)])
        vertex_s = np.concatenate([vertex_s, extra_s])
        vertex_angle = np.concatenate([vertex_angle, extra_angle])
    faces = np.concatenate(faces).astype(np.int64)
    # Rings turn from `side` towards `up`; the winding is outward when side x up follows the path.
    if np.dot(np.cross(side[0], up[0]), tangent_start) < 0:
        faces = faces[:, ::-1]
    return Tube(positions, uvs, faces, vertex_s, vertex_angle)


def chain_weights(s: np.ndarray, bones: list[str], starts: list[float], blend: float) -> np.ndarray:
    """Weights along a bone chain: bone i owns s in [starts[i], starts[i+1]), blending linearly
    with its neighbour over +-blend around each joint."""
    weights = np.zeros((len(s), BONE_COUNT), dtype=np.float64)
    columns = [skeleton.INDEX[name] for name in bones]
    share = np.zeros((len(s), len(bones)))
    share[:, 0] = 1.0
    for i in range(1, len(bones)):
        t = np.clip((s - (starts[i] - blend)) / (2 * blend), 0.0, 1.0)
        share[:, i] = t
        share[:, :i] *= (1.0 - t)[:, None]
    for column, values in zip(columns, share.T):
        weights[:, column] += values
    return weights


def rigid_weights(count: int, bone: str) -> np.ndarray:
    weights = np.zeros((count, BONE_COUNT), dtype=np.float64)
    weights[:, skeleton.INDEX[bone]] = 1.0
    return weights


def blend_towards(weights: np.ndarray, bone: str, amount: np.ndarray) -> np.ndarray:
    """Move a share `amount` (per vertex, 0..1) of every vertex's weight onto `bone`."""
    amount = np.clip(amount, 0.0, 1.0)[:, None]
    result = weights * (1.0 - amount)
    result[:, skeleton.INDEX[bone]] += amount[:, 0]
    return result


_MIRROR_COLUMNS = np.array(
    [skeleton.INDEX[name.replace("Left", "Right", 1) if name.startswith("Left") else name.replace("Right", "Left", 1) if name.startswith("Right") else name] for name in skeleton.NAMES]
)


def mirror(part: Part) -> Part:
    """The other side's copy: x negated, winding reversed, Left/Right bones swapped."""
    flip = np.array([-1.0, 1.0, 1.0])
    weights = np.empty_like(part.weights)
    weights[:, _MIRROR_COLUMNS] = part.weights
    morphs = {name: delta * flip for name, delta in part.morphs.items()}
    return Part(part.positions * flip, part.uvs.copy(), part.faces[:, ::-1].copy(), weights, part.tile, part.material, morphs)


def smooth_normals(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, shared across vertices at the same place (UV seams)."""
    # One integer key per 10 um cell (20 bits an axis covers +-5 m), so np.unique sorts 1-D.
    cells = np.round(positions * 1e5).astype(np.int64) + (1 << 19)
    keys = (cells[:, 0] << 40) | (cells[:, 1] << 20) | cells[:, 2]
    _, group = np.unique(keys, return_inverse=True)
    triangles = positions[faces]
    face_normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    corners = group[faces].ravel()
    groups = group.max() + 1
    sums = np.stack([np.bincount(corners, np.repeat(face_normals[:, axis], 3), groups) for axis in range(3)], axis=1)
    normals = sums[group]
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    fallback = np.array([0.0, 1.0, 0.0])
    return np.where(length > 1e-12, normals / np.maximum(length, 1e-12), fallback)


def pack_weights(dense: np.ndarray, influences: int = 4, floor: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """The strongest `influences` bones per vertex as (joints uint8, weights float32): weights
    sum to one in float32 (the validator's check), unused slots are joint 0 with weight 0."""
    strongest = np.argpartition(-dense, influences, axis=1)[:, :influences]
    # Strongest first; ties by bone index, so the order never depends on the partition.
    ranking = np.lexsort((strongest, -np.take_along_axis(dense, strongest, axis=1)), axis=1)
    order = np.take_along_axis(strongest, ranking, axis=1)
    weights = np.take_along_axis(dense, order, axis=1).astype(np.float64)
    weights[weights < floor] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    packed = weights.astype(np.float32)
    # Put the float32 rounding error on the largest weight so the stored sum is 1.
    packed[:, 0] = (1.0 - packed[:, 1:].astype(np.float64).sum(axis=1)).astype(np.float32)
    joints = np.where(packed > 0, order, 0).astype(np.uint8)
    return joints, packed
