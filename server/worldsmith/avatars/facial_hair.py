"""Beards and moustaches: a shell grown from the lower face for each beard style, a swept lock along
the upper lip for each moustache style. Both move with the mouth's blend shapes and the Jaw, as
the skin under them does, and are painted from their own tile in the facial hair colour."""

from __future__ import annotations

import numpy as np

from worldsmith.avatars.body import Detail
from worldsmith.avatars.geometry import Part, smoothstep, tube
from worldsmith.avatars.head import Head

# Per beard style: how far round the face it reaches (azimuth, radians), its thickness and how far
# it hangs below the chin, both in head heights.
BEARDS = {
    "stubble": (1.55, 0.006, 0.0),
    "short": (1.55, 0.03, 0.05),
    "full": (1.55, 0.06, 0.2),
    "long": (1.55, 0.065, 0.9),
    "goatee": (0.42, 0.045, 0.12),
}

# Per moustache style: reach past the mouth's half width, lift above the mouth, thickness (up,
# out), droop at the ends and curl up at the ends, in head heights except the reach.
MOUSTACHES = {
    "pencil": (0.95, 0.034, (0.006, 0.005), 0.0, 0.0),
    "chevron": (1.1, 0.036, (0.02, 0.014), 0.012, 0.0),
    "walrus": (1.3, 0.03, (0.028, 0.018), 0.06, 0.0),
    "handlebar": (1.9, 0.036, (0.016, 0.012), 0.0, 0.07),
}


def facial_hair_parts(beard: str, moustache: str, head: Head, detail: Detail) -> list[Part]:
    """The beard and moustache pieces ("none" for either gives nothing for it)."""
    parts = []
    if beard in BEARDS:
        parts.append(_beard(beard, head, detail))
    if moustache in MOUSTACHES:
        parts.append(_moustache(moustache, head, detail))
    return parts


def _top_edge(head: Head, turn: np.ndarray) -> np.ndarray:
    """Height (relative to the head centre) where the beard starts: sideburns in front of the ears,
    the cheek line down to the mouth's corners, and just under the lower lip."""
    h = head.h
    return np.interp(turn, [0.0, 0.22, 0.45, 0.9, 1.25, 1.6],
                     [head.mouth - 0.06 * h, head.mouth - 0.05 * h, head.mouth + 0.02 * h, -0.12 * h, -0.06 * h, -0.02 * h])


def _beard(style: str, head: Head, detail: Detail) -> Part:
    reach, thickness, hang = BEARDS[style]
    h = head.h
    columns = detail.count(40, 12)
    rows = detail.count(22, 8)
    a = np.linspace(-1.0, 1.0, columns + 1)
    t = np.linspace(0.0, 1.0, rows)
    phi = np.tile(a * reach, rows)
    tt = np.repeat(t, columns + 1)
    top = _top_edge(head, np.abs(phi))
    if style == "goatee":
        top = np.maximum(top, head.mouth - 0.06 * h)
    top_theta = np.arccos(np.clip(top / head.ry, -1.0, 1.0))
    bottom_theta = np.pi * 0.9
    theta = top_theta + (bottom_theta - top_theta) * tt
    skin, normals = head.surface(phi, theta)
    # Fullest at the chin, thinner up the cheeks, meeting the skin at every edge.
    chin = smoothstep(-0.1 * h, head.mouth - 0.1 * h, skin[:, 1]) * smoothstep(0.2, 0.9, np.cos(phi))
    edges = smoothstep(0.0, 0.18, tt) * smoothstep(1.0, 0.7, tt) * smoothstep(1.0, 0.8, np.abs(np.tile(a, rows)))
    depth = thickness * h * (0.45 + 0.55 * chin) * edges + 0.003 * h
    points = skin + normals * depth[:, None]
    # Below the chin the hair hangs: pulled down and a little forward, most at the middle.
    middle = np.exp(-((a * reach / (0.5 + 0.3 * (style == "long"))) ** 2)) if style != "goatee" else np.exp(-((a / 0.6) ** 2))
    fall = hang * h * np.repeat(smoothstep(0.25, 1.0, t), columns + 1) * np.tile(middle, rows)
    points[:, 1] -= fall
    points[:, 2] += 0.35 * fall * smoothstep(0.0, 0.3 * h, skin[:, 2])
    morphs, weights = head.follow_mouth(skin, phi)
    uvs = np.stack([(np.tile(a, rows) + 1.0) / 2.0, tt], 1)
    faces = _sheet_faces(rows, columns)
    return Part(points + head.center, uvs, faces, weights.astype(np.float32), "beard", "Hair", morphs)


def _moustache(style: str, head: Head, detail: Detail) -> Part:
    reach, lift, (up, out), droop, curl = MOUSTACHES[style]
    h = head.h
    rings = detail.count(24, 8)
    a = np.linspace(-1.0, 1.0, rings)
    ends = np.abs(a)
    x = a * reach * head.mouth_half
    y = head.mouth + lift * h - droop * h * ends ** 2.5 + curl * h * smoothstep(0.55, 1.0, ends) ** 2
    theta = np.arccos(np.clip(y / head.ry, -1.0, 1.0))
    phi = np.arcsin(np.clip(x / (head.rx * np.sin(theta)), -1.0, 1.0))
    skin, normals = head.surface(phi, theta)
    taper = 1.0 - (0.75 if style == "handlebar" else 0.55) * ends ** 2
    centers = skin + normals * (out * h * taper + 0.002 * h)[:, None]
    tangent = np.gradient(centers, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    side = np.cross(normals, tangent)
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    swept = tube(centers, side, normals, up * h * taper, out * h * taper, a, detail.count(10, 6), cap_start=True, cap_end=True)
    # Each vertex moves as the lip skin at its own ring does.
    ring = np.clip(np.searchsorted(a, swept.s), 0, rings - 1)
    morphs, weights = head.follow_mouth(skin[ring], phi[ring])
    return Part(swept.positions + head.center, swept.uvs, swept.faces, weights.astype(np.float32), "beard", "Hair", morphs)


def _sheet_faces(rows: int, columns: int) -> np.ndarray:
    """Quads between rows of a sheet whose rows run down the face and columns across it, wound to
    face outward."""
    k, j = np.meshgrid(np.arange(rows - 1), np.arange(columns), indexing="ij")
    a = (k * (columns + 1) + j).ravel()
    b, c, d = a + 1, a + columns + 2, a + columns + 1
    return np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1)]).astype(np.int64)
