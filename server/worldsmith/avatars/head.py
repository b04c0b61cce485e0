"""The head: a parametric face with eye sockets and a mouth that opens, its blend shapes, eyes and ears.

The head is one grid over azimuth u and elevation v (crown to chin), denser on the face. Five
extra rows sit on the line where the lips meet: at rest they lie folded into a crease, and the
visemes spread them apart, so an open mouth shows the dark band painted on those rows rather
than a hole. Eye sockets sink the skin behind the eyeballs; a blink pulls it over them.
Everything is measured in head heights `h`, so faces scale with the body and UVs never move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from worldsmith.avatars.body import Detail
from worldsmith.avatars.geometry import Part, blend_towards, rigid_weights, smoothstep, tube
from worldsmith.avatars.skeleton import Proportions

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")

# Each viseme as a mix of mouth motions (Oculus / Ready Player Me viseme set).
VISEME_MIX = {
    "sil": {},
    "PP": {"press": 1.0},
    "FF": {"tuck": 1.0, "jaw": 0.1},
    "TH": {"jaw": 0.25, "wide": 0.1},
    "DD": {"jaw": 0.3, "wide": 0.2},
    "kk": {"jaw": 0.4, "wide": 0.15},
    "CH": {"jaw": 0.2, "pucker": 0.5},
    "SS": {"jaw": 0.12, "wide": 0.5},
    "nn": {"jaw": 0.2, "wide": 0.1},
    "RR": {"jaw": 0.22, "pucker": 0.45},
    "aa": {"jaw": 1.0, "raise": 0.2},
    "E": {"jaw": 0.45, "wide": 0.6},
    "I": {"jaw": 0.3, "wide": 0.8},
    "O": {"jaw": 0.6, "pucker": 0.8},
    "U": {"jaw": 0.25, "pucker": 1.0},
}
# ARKit names for the few expression shapes beyond the visemes.
EXPRESSIONS = {"jawOpen": {"jaw": 1.0}, "mouthSmileLeft": {"smile_left": 1.0}, "mouthSmileRight": {"smile_right": 1.0}}
BLINKS = ("eyeBlinkLeft", "eyeBlinkRight")
BLEND_SHAPES = tuple(f"viseme_{name}" for name in VISEMES) + BLINKS + tuple(EXPRESSIONS)

BAND_ROWS = 5  # rows folded into the lip crease
BAND_SHARE = 0.06  # share of the face tile's height they get, for the mouth's inside


def _warp(density, lo: float, hi: float):
    """Forward and inverse maps from a uniform parameter in [0, 1] to [lo, hi], dense where
    `density` is high."""
    grid = np.linspace(lo, hi, 2049)
    cdf = np.concatenate([[0.0], np.cumsum((density(grid[1:]) + density(grid[:-1])) / 2)])
    cdf /= cdf[-1]
    return (lambda t: np.interp(t, cdf, grid)), (lambda value: np.interp(value, grid, cdf))


_AZIMUTH, _AZIMUTH_INV = _warp(lambda phi: 1.0 + 2.2 * np.exp(-((phi / 0.75) ** 2)), -np.pi, np.pi)
_ELEVATION, _ELEVATION_INV = _warp(lambda theta: 1.0 + 1.4 * np.exp(-(((theta - 1.95) / 0.5) ** 2)), 0.0, np.pi)


@dataclass(frozen=True)
class FaceShape:
    """Seeded differences between faces, as factors around 1."""

    jaw: float
    nose: float
    lips: float
    cheeks: float
    mouth_width: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "FaceShape":
        values = 1.0 + np.array([0.12, 0.18, 0.2, 0.3, 0.1]) * (2.0 * rng.random(5) - 1.0)
        return cls(*(float(v) for v in values))


class Head:
    """Geometry of one head, relative to its centre; `h` is the chin-to-crown height."""

    def __init__(self, p: Proportions, face: FaceShape):
        self.p = p
        self.face = face
        self.h = p.head
        self.center = np.array(p.head_center)
        self.rx, self.ry, self.rz = p.head_radii
        self.mouth = -0.285 * self.h
        self.mouth_half = 0.1 * self.h * face.mouth_width
        self.theta_mouth = float(np.arccos(self.mouth / self.ry))
        self.v_mouth = float(_ELEVATION_INV(self.theta_mouth))
        self.eye = np.array(p.eye_offset)
        self.eye_radius = p.eye_radius
        self.eye_half = (1.05 * self.eye_radius, 0.58 * self.eye_radius)

    # -- the surface -------------------------------------------------------------------
    def ellipsoid(self, phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Skull and jaw before features: points relative to the centre, and outward normals."""
        eta = np.cos(theta)
        # Below the middle the cross-sections shrink like a superellipse, not a circle: a full
        # jaw and a rounded chin instead of an egg.
        sin = np.where(eta < 0.0, (1.0 - np.abs(eta) ** 2.6) ** (1.0 / 2.6), np.sin(theta))
        front = (1.0 + np.cos(phi)) / 2.0
        back = 1.0 - front
        # The jaw keeps its width down to the mouth, then rounds into the chin.
        # A feminine face: a narrower jaw that tapers into a smaller chin.
        f = self.p.femininity
        rx = self.rx * (1.0 + (0.06 - 0.05 * f) * smoothstep(0.3, -0.5, eta)
                        - (0.12 * self.face.jaw + 0.1 * f) * smoothstep(-0.45, -1.0, eta))
        rz = self.rz * (front + 1.1 * back) * (1.0 - 0.1 * front * smoothstep(-0.4, -1.0, eta))
        ry = self.ry * (1.0 - 0.22 * back * smoothstep(0.0, -0.7, eta))
        points = np.stack([rx * sin * np.sin(phi), ry * eta, rz * sin * np.cos(phi)], axis=-1)
        normals = points / np.stack([rx * rx, ry * ry, rz * rz], axis=-1)
        return points, normals / np.linalg.norm(normals, axis=-1, keepdims=True)

    def relief(self, points: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """Nose, brows, cheekbones, lips and chin: outward displacement in metres."""
        h, x, y = self.h, points[:, 0], points[:, 1]
        nose_top, nose_tip = 0.0, -0.16 * h
        along = np.clip((nose_top - y) / (nose_top - nose_tip), 0.0, 1.0)
        ridge = np.where(y >= nose_tip, (0.25 + 0.75 * along) * (1.0 - smoothstep(nose_top, nose_top + 0.05 * h, y)),
                         np.exp(-(((y - nose_tip) / (0.03 * h)) ** 2)))
        nose = 0.085 * h * self.face.nose * ridge * np.exp(-((x / (0.035 * h * (1.0 + along))) ** 2))
        brow = 0.014 * h * (1.0 - 0.6 * self.p.femininity) * np.exp(-(((y - 0.075 * h) / (0.035 * h)) ** 2) - (x / (0.2 * h)) ** 4)
        cheeks = 0.016 * h * self.face.cheeks * np.exp(-(((np.abs(x) - 0.16 * h) / (0.06 * h)) ** 2) - ((y + 0.11 * h) / (0.06 * h)) ** 2)
        width = np.exp(-((x / (0.8 * self.mouth_half)) ** 4))
        upper = 0.022 * np.exp(-(((y - self.mouth - 0.022 * h) / (0.016 * h)) ** 2))
        lower = 0.024 * np.exp(-(((y - self.mouth + 0.028 * h) / (0.018 * h)) ** 2))
        lips = h * self.face.lips * (1.0 + 0.25 * self.p.femininity) * width * (upper + lower)
        chin = 0.014 * h * np.exp(-((x / (0.07 * h)) ** 2) - ((y + 0.43 * h) / (0.05 * h)) ** 2)
        return smoothstep(0.3, 0.75, np.cos(phi)) * (nose + brow + cheeks + lips + chin)

    def surface(self, phi: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Skin points (relative to the centre) and the ellipsoid normals, features included."""
        points, normals = self.ellipsoid(phi, theta)
        return points + normals * self.relief(points, phi)[:, None], normals

    # -- masks shared by geometry and paint ---------------------------------------------
    def lip_mask(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        h = self.h
        return (1.0 - smoothstep(0.9 * self.mouth_half, 1.35 * self.mouth_half, np.abs(x))) * (
            1.0 - smoothstep(0.04 * h, 0.08 * h, np.abs(y - self.mouth)))

    def opening_mask(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - smoothstep(0.55 * self.mouth_half, self.mouth_half, np.abs(x))

    def eye_distance(self, x: np.ndarray, y: np.ndarray, sign: float) -> np.ndarray:
        """Elliptic distance from the left (sign 1) or right eye opening's centre; 1 on its rim."""
        a, b = self.eye_half
        return np.sqrt(((x - sign * self.eye[0]) / a) ** 2 + ((y - self.eye[1]) / b) ** 2)

    # -- the grid ----------------------------------------------------------------------
    def _rows(self, detail: Detail) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Elevation, crease position (NaN off the crease) and texture v of every row."""
        count = detail.count(70, 18)
        v = np.arange(1, count + 1) / (count + 1)
        band_s = np.linspace(1.0, -1.0, BAND_ROWS)
        v_all = np.concatenate([v, np.full(BAND_ROWS, self.v_mouth)])
        s_all = np.concatenate([np.full(count, np.nan), band_s])
        order = np.lexsort((-np.nan_to_num(s_all, nan=0.0), v_all))
        v_all, s_all = v_all[order], s_all[order]
        # Crease rows sit a hair apart along the skin, so their thin quads lie in the surface.
        theta = _ELEVATION(v_all) - np.nan_to_num(s_all, nan=0.0) * 0.004
        return theta, s_all, self.texture_v(v_all, s_all)

    def texture_v(self, v: np.ndarray, s: np.ndarray) -> np.ndarray:
        squeezed = v * (1.0 - BAND_SHARE) + np.where(v > self.v_mouth, BAND_SHARE, 0.0)
        crease = self.v_mouth * (1.0 - BAND_SHARE) + BAND_SHARE * (1.0 - np.nan_to_num(s, nan=0.0)) / 2.0
        return np.where(np.isnan(s), squeezed, crease)

    def part(self, detail: Detail) -> Part:
        """The head's skin with every blend shape."""
        h = self.h
        columns = detail.count(84, 24)
        u = np.linspace(0.0, 1.0, columns + 1)
        theta, crease, tv = self._rows(detail)
        rows = len(theta)
        phi_grid = np.tile(_AZIMUTH(u), rows)
        theta_grid = np.repeat(theta, columns + 1)
        crease_grid = np.repeat(crease, columns + 1)
        points, normals = self.surface(phi_grid, theta_grid)
        x, y = points[:, 0], points[:, 1]
        in_crease = ~np.isnan(crease_grid)
        s = np.nan_to_num(crease_grid, nan=0.0)
        front = smoothstep(-0.2, 0.5, np.cos(phi_grid))
        opening = self.opening_mask(x) * front * in_crease

        # The crease: where the lips meet, the rows fold inwards.
        points = points - normals * ((1.0 - np.abs(s)) * 0.03 * h * opening)[:, None]

        # Eye sockets: skin inside each opening sinks behind the eyeball; a blink brings it over.
        morphs: dict[str, np.ndarray] = {}
        for name, sign in (("eyeBlinkLeft", 1.0), ("eyeBlinkRight", -1.0)):
            eye = self.eye * np.array([sign, 1.0, 1.0])
            distance = self.eye_distance(x, y, sign)
            outward = points - eye
            outward /= np.linalg.norm(outward, axis=1, keepdims=True)
            sunk = (1.0 - smoothstep(0.75, 1.15, distance))[:, None]
            lid = (1.0 - smoothstep(1.0, 1.5, distance))[:, None]
            rest = points + sunk * (eye + outward * 0.92 * self.eye_radius - points)
            closed = points + lid * (eye + outward * 1.1 * self.eye_radius - points)
            morphs[name] = closed - rest
            points = rest

        motions = self._mouth_motions(x, y, s, in_crease, opening, front)
        for name, mix in list(VISEME_MIX.items()) + list(EXPRESSIONS.items()):
            delta = np.zeros_like(points)
            for motion, amount in mix.items():
                delta += amount * motions[motion]
            morphs[f"viseme_{name}" if name in VISEME_MIX else name] = delta
        morphs = {name: morphs[name] for name in BLEND_SHAPES}

        faces = _grid_faces(rows, columns)
        top = len(points)
        bottom = top + 1
        cols = np.arange(columns)
        last = (rows - 1) * (columns + 1)
        faces = np.concatenate([
            faces,
            np.stack([np.full(columns, top), cols, cols + 1], 1),
            np.stack([last + cols + 1, last + cols, np.full(columns, bottom)], 1),
        ])
        chin_ring = points[last : last + columns]
        poles = np.array([[0.0, self.ry, 0.0], chin_ring.mean(axis=0) - np.array([0.0, 0.02 * h, 0.0])])
        points = np.concatenate([points, poles])
        morphs = {name: np.concatenate([delta, np.zeros((2, 3))]) for name, delta in morphs.items()}
        uvs = np.concatenate([np.stack([np.tile(u, rows), np.repeat(tv, columns + 1)], 1), [[0.5, 0.0], [0.5, 1.0]]])

        # The lower face follows the Jaw bone, and opens the mouth when the jaw turns.
        jaw = np.concatenate([self._jaw_mask(x, y, front) * (1.0 - in_crease) + (1.0 - s) / 2.0 * opening, [0.0, 0.0]])
        weights = blend_towards(rigid_weights(len(points), "Head"), "Jaw", 0.8 * jaw)
        return Part(points + self.center, uvs, faces, weights.astype(np.float32), "face", "Skin", morphs)

    def follow_mouth(self, points: np.ndarray, phi: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Blend shapes and weights for something worn on the face (a beard): each point moves as the
        skin at `points` (relative to the centre, off the lip crease) does, and follows the Jaw as it does."""
        x, y = points[:, 0], points[:, 1]
        zero = np.zeros_like(x)
        front = smoothstep(-0.2, 0.5, np.cos(phi))
        motions = self._mouth_motions(x, y, zero, zero.astype(bool), zero, front)
        morphs = {}
        for name, mix in list(VISEME_MIX.items()) + list(EXPRESSIONS.items()):
            delta = np.zeros_like(points)
            for motion, amount in mix.items():
                delta += amount * motions[motion]
            morphs[f"viseme_{name}" if name in VISEME_MIX else name] = delta
        weights = blend_towards(rigid_weights(len(points), "Head"), "Jaw", 0.8 * self._jaw_mask(x, y, front))
        return morphs, weights

    def _wrinkles(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Lines an old face shows: across the forehead, from the nose's wings past the mouth, and
        under the eyes (0..1, before the age factor)."""
        h = self.h
        rows = ((y - 0.14 * h) / (0.045 * h)) % 1.0
        forehead = np.exp(-(((rows - 0.5) / 0.09) ** 2)) * smoothstep(0.12 * h, 0.16 * h, y) * smoothstep(0.32 * h, 0.27 * h, y)
        forehead *= 1.0 - smoothstep(0.12 * h, 0.2 * h, np.abs(x))
        folds = np.maximum.reduce([
            np.exp(-((_segment_distance(x, y, (sign * 0.075 * h, -0.17 * h), (sign * 0.13 * h, -0.34 * h)) / (0.009 * h)) ** 2))
            for sign in (1.0, -1.0)
        ])
        bags = np.maximum.reduce([
            np.exp(-(((self.eye_distance(x, y, sign) - 1.55) / 0.18) ** 2)) * (y < self.eye[1])
            for sign in (1.0, -1.0)
        ])
        return np.clip(0.8 * forehead + folds + 0.5 * bags, 0.0, 1.0)

    def _jaw_mask(self, x: np.ndarray, y: np.ndarray, front: np.ndarray) -> np.ndarray:
        h = self.h
        return smoothstep(self.mouth + 0.005 * h, self.mouth - 0.03 * h, y) * (1.0 - smoothstep(0.22 * h, 0.34 * h, np.abs(x))) * front

    def _mouth_motions(self, x, y, s, in_crease, opening, front) -> dict[str, np.ndarray]:
        """Unit mouth motions that visemes mix: offsets per vertex."""
        h, half = self.h, self.mouth_half
        lips = self.lip_mask(x, y) * front
        below = np.where(in_crease, (1.0 - s) / 2.0, smoothstep(self.mouth + 0.002 * h, self.mouth - 0.01 * h, y))
        above = np.where(in_crease, (1.0 + s) / 2.0, smoothstep(self.mouth - 0.002 * h, self.mouth + 0.01 * h, y))
        jaw_drop = np.where(in_crease, (1.0 - s) / 2.0 * opening, self._jaw_mask(x, y, front))
        cavity = (1.0 - np.abs(s)) * opening
        zero = np.zeros_like(x)
        across = x / half

        def vec(dx, dy, dz):
            return np.stack([dx + zero, dy + zero, dz + zero], axis=1)

        motions = {
            "jaw": vec(0.0, -0.075 * h * jaw_drop, -0.02 * h * jaw_drop - 0.02 * h * cavity),
            "wide": vec(0.028 * h * across * lips, 0.0, -0.012 * h * across ** 2 * lips),
            "pucker": vec(-0.35 * x * lips, 0.0, 0.028 * h * lips * np.clip(1.0 - across ** 2, 0.0, 1.0)),
            "raise": vec(0.0, 0.012 * h * lips * above, 0.0),
            "tuck": vec(0.0, 0.006 * h * lips * below, -0.02 * h * lips * below),
            "press": vec(0.0, 0.003 * h * lips * (below - above), -0.008 * h * lips),
        }
        smile = vec(0.015 * h * across * lips, 0.02 * h * lips * np.clip(across ** 2, 0.0, 1.0), -0.01 * h * lips * across ** 2)
        left = smoothstep(-0.2 * half, 0.2 * half, x)[:, None]  # the character's left is +x
        motions["smile_left"] = smile * left
        motions["smile_right"] = smile * (1.0 - left)
        return motions

    # -- eyes and ears -----------------------------------------------------------------
    def eyes(self, detail: Detail) -> list[Part]:
        """Eyeballs looking down +Z, each following its eye bone; UVs project the front onto the iris."""
        sphere = trimesh.creation.icosphere(subdivisions=3 if detail.ratio > 0.4 else 2, radius=self.eye_radius)
        local = np.asarray(sphere.vertices)
        front = local[:, 2] >= 0.0
        uvs = np.where(front[:, None], 0.5 + 0.5 * local[:, :2] * np.array([1.0, -1.0]) / self.eye_radius, [0.02, 0.5])
        parts = []
        for bone, sign in (("LeftEye", 1.0), ("RightEye", -1.0)):
            center = self.center + self.eye * np.array([sign, 1.0, 1.0])
            faces = np.asarray(sphere.faces, dtype=np.int64)
            parts.append(Part(local + center, uvs.copy(), faces, rigid_weights(len(local), bone).astype(np.float32), "eyes", "Eyes"))
        return parts

    def ears(self, detail: Detail, pointed: bool) -> list[Part]:
        """The left ear (a flattened, tapering tube from the side of the head); pointed for elves."""
        h = self.h
        phi, theta = np.array([np.pi / 2 + 0.18]), np.array([np.arccos((self.eye[1] - 0.17 * h) / self.ry)])
        root, normal = self.surface(phi, theta)
        direction = np.array([0.55, 1.0, -0.7]) if pointed else np.array([0.15, 1.0, -0.12])
        direction /= np.linalg.norm(direction)
        length = (0.4 if pointed else 0.27) * h
        width = np.array([0.45, 0.95, 1.0, 0.7, 0.06] if pointed else [0.4, 0.9, 1.0, 0.85, 0.4]) * (0.085 if pointed else 0.07) * h
        station = np.linspace(0.0, 1.0, 5)
        rings = detail.count(12 if pointed else 8, 4)
        s = np.linspace(0.0, 1.0, rings)
        thickness = 0.012 * h
        facing = normal[0] + np.array([0.0, 0.0, 0.6])  # ears turn a little towards the front
        outward = facing - np.dot(facing, direction) * direction
        outward /= np.linalg.norm(outward)
        side = np.cross(direction, outward)
        start = root[0] + outward * 0.2 * thickness
        centers = self.center + start + s[:, None] * length * direction
        swept = tube(centers, side, outward, np.interp(s, station, width), np.full(rings, thickness), s,
                     detail.count(10, 6), cap_start=True, cap_end=True)
        return [Part(swept.positions, swept.uvs, swept.faces, rigid_weights(len(swept.positions), "Head").astype(np.float32), "skin", "Skin")]

    # -- paint -------------------------------------------------------------------------
    def paint_masks(self, u: np.ndarray, tv: np.ndarray) -> dict[str, np.ndarray]:
        """Where the face tile shows lips, the mouth's inside, blush, nostrils and lid shadow,
        for tile-local UVs (any shape)."""
        shape = u.shape
        u, tv = u.ravel(), tv.ravel()
        lower = self.v_mouth * (1.0 - BAND_SHARE)
        in_crease = (tv >= lower) & (tv <= lower + BAND_SHARE)
        v = np.where(tv < lower, tv / (1.0 - BAND_SHARE), (tv - BAND_SHARE) / (1.0 - BAND_SHARE))
        v = np.where(in_crease, self.v_mouth, v)
        s = np.where(in_crease, 1.0 - 2.0 * (tv - lower) / BAND_SHARE, 0.0)
        phi = _AZIMUTH(u)
        points, _ = self.ellipsoid(phi, _ELEVATION(v))
        x, y = points[:, 0], points[:, 1]
        h = self.h
        front = smoothstep(0.3, 0.75, np.cos(phi))
        width = 1.0 - smoothstep(0.75 * self.mouth_half, 1.0 * self.mouth_half, np.abs(x))
        lips = front * width * (1.0 - smoothstep(0.035 * h, 0.05 * h, np.abs(y - self.mouth)))
        mouth = in_crease * self.opening_mask(x) * front * (1.0 - smoothstep(0.6, 0.95, np.abs(s)))
        blush = front * np.exp(-(((np.abs(x) - 0.15 * h) / (0.06 * h)) ** 2) - ((y + 0.12 * h) / (0.05 * h)) ** 2)
        nostrils = front * np.exp(-(((np.abs(x) - 0.028 * h) / (0.012 * h)) ** 2) - ((y + 0.185 * h) / (0.01 * h)) ** 2)
        lids = front * np.maximum.reduce([
            np.exp(-(((self.eye_distance(x, y, sign) - 1.05) / 0.12) ** 2)) for sign in (1.0, -1.0)
        ])
        masks = {"lips": lips * (1.0 - in_crease), "mouth": mouth, "blush": blush, "nostrils": nostrils, "lids": lids,
                 "wrinkles": front * smoothstep(45.0, 80.0, self.p.age) * self._wrinkles(x, y)}
        return {name: mask.reshape(shape) for name, mask in masks.items()}


def _segment_distance(x: np.ndarray, y: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(x - ax - t * dx, y - ay - t * dy)


def _grid_faces(rows: int, columns: int) -> np.ndarray:
    """Quads between consecutive rows (top to bottom), wound outward for u turning from -Z
    through +X: the head is seen from outside."""
    k, j = np.meshgrid(np.arange(rows - 1), np.arange(columns), indexing="ij")
    a = (k * (columns + 1) + j).ravel()
    b, c, d = a + 1, a + columns + 2, a + columns + 1
    return np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1)]).astype(np.int64)
