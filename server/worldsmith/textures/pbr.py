"""PBR maps from one albedo and, where the backend has one, a true height field; every filter wraps.

Blurs are Gaussian filters applied in the Fourier domain and gradients are differences of
rolled arrays, both periodic by construction, so each derived map tiles wherever the albedo
and height do. Filter sizes are fractions of the tile, so a 1024 set looks like a sharper
512 set, not a different material.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import scipy.fft

from worldsmith._proto.worldsmith.v1 import texture_pb2

Map = texture_pb2.TextureMap

# Rec. 709 luma weights (sRGB primaries).
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
# Occlusion looks at three neighbourhood sizes, as fractions of the tile width.
OCCLUSION_SCALES = (1 / 256, 1 / 64, 1 / 16)


@dataclass
class Surface:
    """What a backend produced: albedo and, where it knows them, height, roughness and metal."""

    albedo: np.ndarray                          # (3, H, W) float32 in [0, 1], sRGB, planar
    height: np.ndarray | None = None            # (H, W) float32 in [0, 1]; None: derived from albedo
    roughness: np.ndarray | float = 0.7         # a map, or the base value that detail modulates
    metallic: np.ndarray | float = 0.0          # a map or one value
    # Relief depth as a fraction of the tile width: how strongly the height tilts the normals.
    bump: float = 0.03


def derive(surface: Surface, maps: Iterable[int], convention: int) -> dict[int, np.ndarray]:
    """The requested maps as float32 arrays in [0, 1]: (H, W) for grey maps, planar (3, H, W) for RGB.

    `convention` is a NormalConvention: OpenGL normals point green up the image (Y+),
    DirectX down. Each intermediate (height, its blurs, occlusion...) is computed once, and
    only when a requested map needs it.
    """
    material = _Derivation(surface, convention)
    return {kind: getattr(material, MAP_ATTRIBUTES[kind]).astype(np.float32, copy=False) for kind in maps}


MAP_ATTRIBUTES = {
    Map.TEXTURE_MAP_ALBEDO: "albedo",
    Map.TEXTURE_MAP_HEIGHT: "height",
    Map.TEXTURE_MAP_NORMAL: "normal",
    Map.TEXTURE_MAP_ROUGHNESS: "roughness",
    Map.TEXTURE_MAP_AMBIENT_OCCLUSION: "occlusion",
    Map.TEXTURE_MAP_METALLIC: "metallic",
    Map.TEXTURE_MAP_ORM: "orm",
}


class _Derivation:
    def __init__(self, surface: Surface, convention: int):
        self.surface = surface
        self.convention = convention
        self.albedo = surface.albedo

    @functools.cached_property
    def height(self) -> np.ndarray:
        given = self.surface.height
        return given if given is not None else height_from_albedo(self.albedo)

    @functools.cached_property
    def height_blur(self) -> "PeriodicBlur":
        return PeriodicBlur(self.height)

    @functools.cached_property
    def normal(self) -> np.ndarray:
        return normal_map(self.height, self.surface.bump, self.convention)

    @functools.cached_property
    def occlusion(self) -> np.ndarray:
        return ambient_occlusion(self.height, self.height_blur)

    @functools.cached_property
    def roughness(self) -> np.ndarray:
        if isinstance(self.surface.roughness, np.ndarray):
            return self.surface.roughness
        return roughness_map(self.surface.roughness, self.albedo, self.height, self.height_blur)

    @functools.cached_property
    def metallic(self) -> np.ndarray:
        metallic = self.surface.metallic
        return metallic if isinstance(metallic, np.ndarray) else np.full(self.height.shape, metallic, np.float32)

    @functools.cached_property
    def orm(self) -> np.ndarray:
        return np.stack([self.occlusion, self.roughness, self.metallic])


class PeriodicBlur:
    """Gaussian blurs of one periodic field: one forward FFT, one inverse per size."""

    def __init__(self, field: np.ndarray):
        self.shape = field.shape
        self.spectrum = scipy.fft.rfft2(field, workers=1)
        fy = scipy.fft.fftfreq(field.shape[0]).astype(np.float32)[:, None]
        fx = scipy.fft.rfftfreq(field.shape[1]).astype(np.float32)[None, :]
        self.frequency2 = fy * fy + fx * fx

    def __call__(self, sigma_pixels: float) -> np.ndarray:
        transfer = np.exp(-2 * np.pi**2 * sigma_pixels**2 * self.frequency2)
        return scipy.fft.irfft2(self.spectrum * transfer, s=self.shape, workers=1)


def height_from_albedo(albedo: np.ndarray) -> np.ndarray:
    """Luminance detail as relief, the usual estimate when only colour is known: bright is
    high, and the tile-scale shading (lighting baked into the image, not shape) is removed."""
    luminance = np.tensordot(LUMA, albedo, axes=1)
    blur = PeriodicBlur(luminance)
    detail = blur(0.5) - blur(albedo.shape[2] / 16)
    return _normalise(detail)


def normal_map(height: np.ndarray, bump: float, convention: int) -> np.ndarray:
    """Tangent-space normals from wrapped central differences, encoded as (n + 1) / 2."""
    rows, columns = height.shape
    # Slopes in tile units: the relief is `bump` tile widths deep for a full 0..1 height step.
    slope_u = (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1)) * (bump * columns / 2)
    slope_v = (np.roll(height, -1, axis=0) - np.roll(height, 1, axis=0)) * (bump * columns / 2)
    # Image rows run down; OpenGL's +Y points up the image, DirectX's down.
    green = slope_v if convention != texture_pb2.NORMAL_CONVENTION_DIRECTX else -slope_v
    scale = 0.5 / np.sqrt(slope_u * slope_u + green * green + 1.0)
    return np.stack([0.5 - slope_u * scale, 0.5 + green * scale, 0.5 + scale])


def ambient_occlusion(height: np.ndarray, blur: PeriodicBlur) -> np.ndarray:
    """Cavity occlusion: how far the surroundings rise above each point, at three scales."""
    width = height.shape[1]
    cavity = sum(np.maximum(blur(scale * width) - height, 0.0) for scale in OCCLUSION_SCALES) / len(OCCLUSION_SCALES)
    return np.clip(1.0 - 3.0 * cavity, 0.0, 1.0)


def roughness_map(base: float, albedo: np.ndarray, height: np.ndarray, blur: PeriodicBlur) -> np.ndarray:
    """A base roughness made rougher in crevices and dark grime, where dust and wear collect."""
    crevice = np.maximum(blur(height.shape[1] / 128) - height, 0.0)
    luminance = np.tensordot(LUMA, albedo, axes=1)
    grime = np.maximum(luminance.mean() - luminance, 0.0)
    return np.clip(base + 1.5 * crevice + 0.3 * grime, 0.02, 1.0)


def _normalise(field: np.ndarray) -> np.ndarray:
    """To [0, 1] over three standard deviations each side, so one outlier does not flatten the rest."""
    spread = max(3.0 * float(field.std()), 1e-6)
    return np.clip((field - (field.mean() - spread)) / (2 * spread), 0.0, 1.0)
