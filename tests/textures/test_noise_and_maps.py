"""Periodic noise, PBR map derivation, seam scores and PNG encoding."""

from __future__ import annotations

import numpy as np
import pytest

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.textures import encode, noise, pbr, procedural
from worldsmith.textures.presets import PRESETS
from worldsmith.textures.seams import seam_score

from texture_helpers import read_png

ALL_MAPS = [value for value in texture_pb2.TextureMap.values() if value]


def test_spline_noise_is_exactly_periodic_and_refines_exactly():
    lattice = np.random.default_rng(0).standard_normal((6, 10))
    one = noise.from_lattice(lattice, (96, 160))
    two_by_two = noise.from_lattice(np.tile(lattice, (2, 2)), (192, 320))
    assert np.allclose(np.tile(one, (2, 2)), two_by_two, atol=1e-5)
    # Summing octaves on the finest lattice is exact, not an approximation.
    assert np.allclose(noise.from_lattice(noise.refine(lattice), (96, 160)), one, atol=1e-5)


def test_cellular_finds_the_nearest_feature_points():
    points = (0.5 + 0.9 * (np.random.default_rng(3).random((2, 3, 5)) - 0.5)).astype(np.float32)
    y = np.arange(40, dtype=np.float32) * 3 / 40
    x = np.arange(60, dtype=np.float32) * 5 / 60
    f1, f2, cell = noise._worley(points, y, x)
    # Brute force over every point and its copies one period away on each side.
    rows, columns = np.meshgrid(y, x, indexing="ij")
    distances = [
        np.hypot(i + points[0, i, j] + shift_y - rows, j + points[1, i, j] + shift_x - columns)
        for i in range(3) for j in range(5) for shift_y in (-3, 0, 3) for shift_x in (-5, 0, 5)
    ]
    nearest = np.sort(np.stack(distances), axis=0)
    assert np.allclose(f1, nearest[0], atol=1e-5)
    # The second nearest can, rarely, lie beyond the eight neighbouring cells.
    assert np.isclose(f2, nearest[1], atol=1e-5).mean() > 0.99
    f1, f2, cell = noise.cellular(np.random.default_rng(3), (64, 96), (4, 6))
    assert f1.shape == f2.shape == cell.shape == (64, 96)
    assert (f1 <= f2).all() and (f1 >= 0).all()
    assert len(np.unique(cell)) == 24  # every stone owns pixels


@pytest.mark.parametrize("field", ["value", "fbm", "ridged", "cellular"])
def test_noise_fields_tile(field):
    rng = np.random.default_rng(1)
    shape = (128, 128)
    image = {
        "value": lambda: noise.value(rng, shape, (16, 16)),
        "fbm": lambda: noise.fbm(rng, shape, (4, 4), octaves=4),
        "ridged": lambda: noise.ridged(rng, shape, (4, 4), octaves=3),
        "cellular": lambda: noise.cellular(rng, shape, (6, 6))[0],
    }[field]()
    assert max(seam_score(image)) < 1.6


def test_seam_score_is_about_one_for_a_periodic_image_and_large_for_a_seam():
    y, x = np.mgrid[0:64, 0:64] / 64
    periodic = 0.5 + 0.25 * np.sin(2 * np.pi * x) * np.cos(4 * np.pi * y)
    assert max(seam_score(periodic)) < 1.2
    ramp = np.tile(np.linspace(0, 1, 64), (64, 1))  # 0 on the left, 1 on the right: wraps with a jump
    x_score, y_score = seam_score(ramp)
    assert x_score > 10 and y_score <= 1.0


@pytest.mark.parametrize("preset", ["bricks", "cobblestone", "rock", "metal"])
def test_every_map_of_a_tiled_material_tiles_and_stays_in_range(preset):
    surface = procedural.render(preset, PRESETS[preset].defaults(), 256, 256, True, True, seed=5)
    maps = pbr.derive(surface, ALL_MAPS, texture_pb2.NORMAL_CONVENTION_OPENGL)
    assert list(maps) == ALL_MAPS
    for kind, pixels in maps.items():
        assert pixels.dtype == np.float32 and 0 <= pixels.min() and pixels.max() <= 1, kind
        assert max(seam_score(pixels)) < 1.6, (preset, texture_pb2.TextureMap.Name(kind), seam_score(pixels))


def test_untiled_material_shows_its_seam():
    tiled = procedural.render("rock", PRESETS["rock"].defaults(), 256, 256, True, True, seed=2)
    untiled = procedural.render("rock", PRESETS["rock"].defaults(), 256, 256, False, False, seed=2)
    only_x = procedural.render("rock", PRESETS["rock"].defaults(), 256, 256, True, False, seed=2)
    assert max(seam_score(tiled.albedo)) < 1.5
    assert min(seam_score(untiled.albedo)) > 3
    x_score, y_score = seam_score(only_x.albedo)
    assert x_score < 1.5 < 3 < y_score


def test_orm_packs_occlusion_roughness_metallic_and_directx_flips_green():
    surface = procedural.render("metal", {**PRESETS["metal"].defaults(), "rust": 0.5}, 128, 128, True, True, seed=4)
    opengl = pbr.derive(surface, ALL_MAPS, texture_pb2.NORMAL_CONVENTION_OPENGL)
    directx = pbr.derive(surface, [texture_pb2.TEXTURE_MAP_NORMAL], texture_pb2.NORMAL_CONVENTION_DIRECTX)
    orm = opengl[texture_pb2.TEXTURE_MAP_ORM]
    assert np.array_equal(orm[0], opengl[texture_pb2.TEXTURE_MAP_AMBIENT_OCCLUSION])
    assert np.array_equal(orm[1], opengl[texture_pb2.TEXTURE_MAP_ROUGHNESS])
    assert np.array_equal(orm[2], opengl[texture_pb2.TEXTURE_MAP_METALLIC])
    gl, dx = opengl[texture_pb2.TEXTURE_MAP_NORMAL], directx[texture_pb2.TEXTURE_MAP_NORMAL]
    assert np.allclose(gl[0], dx[0]) and np.allclose(gl[1], 1 - dx[1], atol=1e-6) and np.allclose(gl[2], dx[2])
    assert 0.05 < opengl[texture_pb2.TEXTURE_MAP_METALLIC].mean() < 0.95  # rust is not metal


def test_normals_lean_away_from_the_slope():
    x = np.linspace(0, 1, 64, endpoint=False)
    height = np.tile(0.5 + 0.4 * np.sin(2 * np.pi * x), (64, 1)).astype(np.float32)
    normal = pbr.normal_map(height, bump=0.05, convention=texture_pb2.NORMAL_CONVENTION_OPENGL)
    rising = 4  # the height rises to the right here, so the normal leans left (red below 0.5)
    assert normal[0, 10, rising] < 0.5 and abs(normal[1, 10, rising] - 0.5) < 1e-3
    lengths = np.linalg.norm(normal * 2 - 1, axis=0)
    assert np.allclose(lengths, 1, atol=1e-5)


def test_height_is_derived_from_albedo_when_the_backend_has_none():
    # Photographs (and diffusion images) carry their shading: dark joints, lit tops.
    surface = procedural.render("cobblestone", PRESETS["cobblestone"].defaults(), 128, 128, True, True, seed=1)
    colour_only = pbr.Surface(albedo=surface.albedo)
    height = pbr.derive(colour_only, [texture_pb2.TEXTURE_MAP_HEIGHT], texture_pb2.NORMAL_CONVENTION_OPENGL)
    derived = height[texture_pb2.TEXTURE_MAP_HEIGHT]
    assert derived.std() > 0.05
    assert np.corrcoef(derived.ravel(), surface.height.ravel())[0, 1] > 0.3  # bright stones read as high


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_png_round_trips_grey_and_rgb(bit_depth):
    rng = np.random.default_rng(0)
    grey = rng.random((24, 40)).astype(np.float32)
    rgb = rng.random((3, 24, 40)).astype(np.float32)
    step = 1 / ((1 << bit_depth) - 1)
    assert np.abs(read_png(encode.png(grey, bit_depth)) - grey).max() <= step / 2 + 1e-6
    assert np.abs(read_png(encode.png(rgb, bit_depth)) - np.moveaxis(rgb, 0, -1)).max() <= step / 2 + 1e-6
    assert encode.png(rgb, bit_depth) == encode.png(rgb.copy(), bit_depth)
