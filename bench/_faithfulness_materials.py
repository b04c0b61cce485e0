"""Material faithfulness cases: each prompt's preset, palette and proportions, measured from its maps.

Every case goes through the service's own path (the request plan reads the prompt, the
procedural backend paints, `pbr.derive` makes the maps) at 256 px, and checks:
- the preset its words name;
- its colours, in HSV and luminance over the parts that matter (stone faces, moss, board faces);
- its structure from the height map: moss low in the cracks, boards and bricks several times
  longer than wide, grain running along the boards (gradient energy across the grain against
  along it, a structure tensor's diagonal over the board faces);
- its seams: every map's seam score (`seams.py`) within what tiled maps get, < 1.6.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from _faithfulness import outcome, requirement  # noqa: E402
from worldsmith._proto.worldsmith.v1 import texture_pb2  # noqa: E402
from worldsmith.config import TexturesConfig  # noqa: E402
from worldsmith.textures import pbr, procedural  # noqa: E402
from worldsmith.textures.request import PROCEDURAL, plan  # noqa: E402
from worldsmith.textures.seams import seam_score  # noqa: E402

Map = texture_pb2.TextureMap
MAPS = (Map.TEXTURE_MAP_ALBEDO, Map.TEXTURE_MAP_HEIGHT, Map.TEXTURE_MAP_NORMAL, Map.TEXTURE_MAP_ROUGHNESS,
        Map.TEXTURE_MAP_AMBIENT_OCCLUSION, Map.TEXTURE_MAP_METALLIC)
SIZE = 256
SEED = 11
SEAM_LIMIT = 1.6


class Material:
    """One prompt's generated maps, and the colour measures the cases share."""

    def __init__(self, prompt: str, seed: int = SEED):
        request = texture_pb2.GenerateTextureRequest(prompt=prompt, width=SIZE, height=SIZE, seed=seed,
                                                     model=PROCEDURAL, maps=MAPS)
        self.plan = plan(request, TexturesConfig(), PROCEDURAL)
        surface = procedural.render(self.plan.preset, self.plan.parameters, SIZE, SIZE, True, True, seed)
        self.maps = pbr.derive(surface, MAPS, texture_pb2.NORMAL_CONVENTION_OPENGL)
        self.albedo = self.maps[Map.TEXTURE_MAP_ALBEDO]
        self.height = self.maps[Map.TEXTURE_MAP_HEIGHT]
        self.hue, self.saturation, _ = hsv(self.albedo)
        self.luminance = np.tensordot(pbr.LUMA, self.albedo, axes=1)

    def mean_colour(self, mask: np.ndarray) -> np.ndarray:
        return self.albedo[:, mask].mean(axis=1)


def hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in degrees, saturation and value of a planar (3, ...) RGB image."""
    high, low = rgb.max(axis=0), rgb.min(axis=0)
    spread = np.maximum(high - low, 1e-6)
    r, g, b = rgb
    hue = np.where(high == r, (g - b) / spread % 6, np.where(high == g, (b - r) / spread + 2, (r - g) / spread + 4))
    return hue * 60, np.where(high > 0, (high - low) / np.maximum(high, 1e-6), 0), high


def hue_of(colour: np.ndarray) -> float:
    return float(hsv(colour.reshape(3, 1))[0][0])


def saturation_of(colour: np.ndarray) -> float:
    return float(hsv(colour.reshape(3, 1))[1][0])


def cyclic_runs(flags: np.ndarray) -> list[int]:
    """Lengths of the runs of True in a 1-D array that wraps around."""
    if flags.all():
        return [len(flags)]
    start = int(np.argmin(flags))  # a False: no run is cut by starting here
    rolled = np.roll(flags, -start).astype(np.int8)
    edges = np.diff(np.concatenate([[0], rolled, [0]]))
    return list(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1))


def unit_proportions(height: np.ndarray) -> tuple[float, int]:
    """Length over width of a running layout's units (boards, bricks) from its height map, and
    how many courses were found: courses are the bands between rows that are mostly joint,
    lengths the runs of face along each course's middle row between its end joints."""
    joint = height < np.quantile(height, 0.02) + 0.3 * (np.quantile(height, 0.98) - np.quantile(height, 0.02))
    course_rows = ~(joint.mean(axis=1) > 0.5)
    widths = cyclic_runs(course_rows)
    if not course_rows.any() or len(widths) < 2:
        return 0.0, len(widths)
    start = int(np.argmin(course_rows))  # a joint row
    lengths = []
    for offset, width in _courses_from(course_rows, start):
        middle = (start + offset + width // 2) % len(course_rows)
        lengths.extend(cyclic_runs(~joint[middle]))
    return float(np.median(lengths) / np.median(widths)), len(widths)


def _courses_from(course_rows: np.ndarray, start: int) -> list[tuple[int, int]]:
    """(offset from `start`, width) of each course, walking the rows once around from a joint row."""
    rolled = np.roll(course_rows, -start).astype(np.int8)
    edges = np.diff(np.concatenate([[0], rolled, [0]]))
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(begins, ends - begins))


def grain_anisotropy(material: Material) -> float:
    """Gradient energy across the boards (down the image) over energy along them (across the
    image), on board faces at least 3 px from any joint: above 1 when the grain runs along."""
    lum = material.luminance
    across = (np.roll(lum, -1, 0) - np.roll(lum, 1, 0)) ** 2
    along = (np.roll(lum, -1, 1) - np.roll(lum, 1, 1)) ** 2
    raised = material.height > 0.5 * (material.height.min() + material.height.max())
    face = raised.copy()
    for shift in range(1, 4):
        for axis in (0, 1):
            face &= np.roll(raised, shift, axis) & np.roll(raised, -shift, axis)
    return float(across[face].mean() / max(along[face].mean(), 1e-9)) if face.any() else 0.0


def moss_mask(material: Material) -> np.ndarray:
    return (material.hue > 60) & (material.hue < 150) & (material.saturation > 0.25)


def height_rank(height: np.ndarray) -> np.ndarray:
    """Each pixel's height as a fraction of the pixels below it: 0 lowest, 1 highest."""
    order = np.argsort(height, axis=None)
    rank = np.empty(height.size, np.float32)
    rank[order] = np.linspace(0, 1, height.size, dtype=np.float32)
    return rank.reshape(height.shape)


# -- requirements ------------------------------------------------------------------------
def preset_is(material: Material, wanted: str) -> dict:
    return requirement("preset", material.plan.preset == wanted, material.plan.preset, wanted)


def seams_hold(material: Material) -> dict:
    worst = max(max(seam_score(pixels)) for pixels in material.maps.values())
    return requirement("seam score, worst map and axis", worst < SEAM_LIMIT, round(worst, 2), f"< {SEAM_LIMIT}")


def in_range(name: str, value: float, low: float, high: float, digits: int = 2) -> dict:
    return requirement(name, low <= value <= high, round(float(value), digits), f"{low:g}..{high:g}")


def at_least(name: str, value: float, low: float, digits: int = 2) -> dict:
    return requirement(name, value >= low, round(float(value), digits), f">= {low:g}")


def at_most(name: str, value: float, high: float, digits: int = 2) -> dict:
    return requirement(name, value <= high, round(float(value), digits), f"<= {high:g}")


def grey_brown(material: Material, where: np.ndarray, what: str) -> list[dict]:
    """Stone colours: low saturation, a mean hue from orange-brown to yellow-grey (or no hue at
    all), and no pastel stones of other hues among them."""
    colour = material.mean_colour(where)
    hue = hue_of(colour)
    neutral = saturation_of(colour) < 0.08
    tinted = where & (material.saturation > 0.08)
    off_family = tinted & ((material.hue < 10) | (material.hue > 70))
    return [
        at_most(f"{what}: median saturation", np.median(material.saturation[where]), 0.25),
        at_most(f"{what}: share tinted outside the grey-brown hues (pinks, lilacs, blues)",
                off_family.sum() / max(where.sum(), 1), 0.05, 3),
        requirement(f"{what}: mean hue grey-brown", neutral or 15 <= hue <= 60, round(hue),
                    "15..60 degrees, or saturation < 0.08"),
    ]


def palette(material: Material, hue: tuple[float, float], saturation: tuple[float, float],
            luminance: tuple[float, float], where: np.ndarray | None = None) -> list[dict]:
    where = np.ones(material.luminance.shape, bool) if where is None else where
    return [
        in_range("mean hue (degrees)", hue_of(material.mean_colour(where)), *hue, digits=0),
        in_range("median saturation", np.median(material.saturation[where]), *saturation),
        in_range("mean luminance", material.luminance[where].mean(), *luminance),
    ]


def cobbles(material: Material, mossy: bool) -> list[dict]:
    moss = moss_mask(material)
    stones = ~moss & (height_rank(material.height) > 0.5)
    checks = [preset_is(material, "cobblestone"), *grey_brown(material, stones, "stones")]
    if not mossy:
        return [*checks, at_most("moss cover", moss.mean(), 0.01, 3)]
    moss_colour, stone_colour = material.mean_colour(moss), material.mean_colour(stones)
    green_share = lambda c: c[1] / c.sum()  # noqa: E731
    return [
        *checks,
        in_range("moss cover", moss.mean(), 0.05, 0.5),
        at_most("moss luminance / stone luminance", material.luminance[moss].mean() / material.luminance[stones].mean(),
                0.75),
        at_least("moss green share - stone green share", green_share(moss_colour) - green_share(stone_colour), 0.05, 3),
        at_most("moss mean height rank (0 lowest, 0.5 anywhere)", height_rank(material.height)[moss].mean(), 0.35),
    ]


def boards(material: Material) -> list[dict]:
    ratio, courses = unit_proportions(material.height)
    return [
        preset_is(material, "planks"),
        at_least("plank length / width", ratio, 3.0, 1),
        at_least("grain: gradient energy across / along the planks", grain_anisotropy(material), 2.0, 1),
        at_least("courses found in the height map", courses, 3),
    ]


def wood_faces(material: Material) -> np.ndarray:
    return height_rank(material.height) > 0.3


def brickwork(material: Material) -> list[dict]:
    ratio, courses = unit_proportions(material.height)
    faces = height_rank(material.height) > 0.5
    mortar = height_rank(material.height) < 0.1
    return [
        preset_is(material, "bricks"),
        in_range("brick length / height", ratio, 2.2, 4.5, 1),
        at_least("courses found in the height map", courses, 6),
        requirement("mortar lighter than brick faces",
                    material.luminance[mortar].mean() > material.luminance[faces].mean(),
                    round(float(material.luminance[mortar].mean() - material.luminance[faces].mean()), 3), "> 0"),
    ]


def cases() -> list[dict]:
    """The checked outcomes, one per prompt."""
    results = []

    def case(prompt: str, check) -> None:
        material = Material(prompt, seed=SEED + len(results))  # each prompt its own sample
        results.append(outcome("materials", prompt, [*check(material), seams_hold(material)]))

    case("mossy cobblestone", lambda m: cobbles(m, mossy=True))
    case("mossy cobblestone path", lambda m: cobbles(m, mossy=True))
    case("cobblestones overgrown with moss", lambda m: cobbles(m, mossy=True))
    case("cobblestone street", lambda m: cobbles(m, mossy=False))
    case("oak planks", lambda m: [*boards(m), *palette(m, (20, 45), (0.3, 0.7), (0.25, 0.55), wood_faces(m))])
    case("weathered oak floorboards", lambda m: [
        *boards(m), *palette(m, (15, 50), (0.05, 0.3), (0.25, 0.6), wood_faces(m))])
    case("dark walnut parquet", lambda m: [*boards(m), *palette(m, (10, 40), (0.3, 0.75), (0.05, 0.25), wood_faces(m))])
    case("old wooden floor", lambda m: [*boards(m), *palette(m, (15, 45), (0.25, 0.7), (0.2, 0.55), wood_faces(m))])
    case("red brick wall", lambda m: [*brickwork(m), *palette(m, (0, 25), (0.4, 0.75), (0.15, 0.4),
                                                              height_rank(m.height) > 0.5)])
    case("stone bricks", lambda m: [*brickwork(m), *grey_brown(m, height_rank(m.height) > 0.5, "bricks")])
    case("dark slate", lambda m: [preset_is(m, "rock"), at_most("median saturation", np.median(m.saturation), 0.25),
                                  at_most("mean luminance", m.luminance.mean(), 0.25)])
    case("rough grey granite", lambda m: [preset_is(m, "rock"), *grey_brown(m, np.ones_like(m.height, bool), "rock")])
    case("lush green grass", lambda m: [preset_is(m, "grass"), *palette(m, (70, 120), (0.45, 0.85), (0.12, 0.4))])
    case("desert sand dunes", lambda m: [preset_is(m, "sand"), *palette(m, (30, 50), (0.25, 0.5), (0.5, 0.8))])
    case("muddy ground", lambda m: [preset_is(m, "dirt"), *palette(m, (20, 45), (0.3, 0.65), (0.15, 0.45))])
    case("polished white marble", lambda m: [
        preset_is(m, "marble"), *palette(m, (0, 360), (0.0, 0.1), (0.75, 0.95)),
        at_most("mean roughness", m.maps[Map.TEXTURE_MAP_ROUGHNESS].mean(), 0.25)])
    case("rusty metal plate", lambda m: [
        preset_is(m, "metal"), in_range("rust cover (not metallic)", 1 - m.maps[Map.TEXTURE_MAP_METALLIC].mean(), 0.1, 0.6),
        in_range("rust hue (degrees)", hue_of(m.mean_colour(m.maps[Map.TEXTURE_MAP_METALLIC] < 0.5)), 10, 35, 0)])
    case("fresh snow", lambda m: [preset_is(m, "sand"), *palette(m, (180, 240), (0.0, 0.1), (0.8, 0.97))])
    case("cracked ice", lambda m: [preset_is(m, "marble"), *palette(m, (185, 215), (0.1, 0.3), (0.65, 0.9))])
    case("blue bathroom tiles", lambda m: [preset_is(m, "tiles"), in_range(
        "mean hue (degrees)", hue_of(m.mean_colour(height_rank(m.height) > 0.3)), 200, 240, 0)])
    return results
