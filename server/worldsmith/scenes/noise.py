"""Seeded 2-D gradient noise and fBm on world coordinates, so any tile of the world agrees with its neighbours."""

from __future__ import annotations

import numpy as np

_MASK = (1 << 64) - 1


def hash_u64(ix: np.ndarray, iz: np.ndarray, key: int) -> np.ndarray:
    """A well-mixed 64-bit hash of integer lattice points (splitmix64 finaliser); no period, no table."""
    with np.errstate(over="ignore"):
        h = (ix.astype(np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ \
            (iz.astype(np.int64).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)) ^ np.uint64(key & _MASK)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def uniform(ix: np.ndarray, iz: np.ndarray, key: int) -> np.ndarray:
    """A number in [0, 1) for every lattice point, the same wherever it is asked for."""
    return (hash_u64(ix, iz, key) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def key_of(seed: int, *salt: int) -> int:
    key = (seed & _MASK) ^ 0x5851F42D4C957F2D
    for s in salt:
        key = ((key * 0x100000001B3) ^ (s & _MASK)) & _MASK
    return key


def gradient_noise(x: np.ndarray, z: np.ndarray, key: int) -> np.ndarray:
    """Perlin-style gradient noise in about [-1, 1] on the grid of points (x[j], z[i]), in lattice
    units. Gradients are hashed once per lattice point, then gathered for every sample."""
    x0, z0 = np.floor(x), np.floor(z)
    fx, fz = (x - x0)[None, :], (z - z0)[:, None]
    ix, iz = x0.astype(np.int64), z0.astype(np.int64)
    lattice_x = np.arange(ix.min(), ix.max() + 2)
    lattice_z = np.arange(iz.min(), iz.max() + 2)
    angle = uniform(lattice_x[None, :], lattice_z[:, None], key) * (2 * np.pi)
    gx, gz = np.cos(angle), np.sin(angle)
    col, row = (ix - lattice_x[0])[None, :], (iz - lattice_z[0])[:, None]

    def corner(dx: int, dz: int) -> np.ndarray:
        return gx[row + dz, col + dx] * (fx - dx) + gz[row + dz, col + dx] * (fz - dz)

    u = fx * fx * fx * (fx * (fx * 6 - 15) + 10)  # quintic fade: smooth second derivative
    v = fz * fz * fz * (fz * (fz * 6 - 15) + 10)
    bottom = corner(0, 0) + u * (corner(1, 0) - corner(0, 0))
    top = corner(0, 1) + u * (corner(1, 1) - corner(0, 1))
    return (bottom + v * (top - bottom)) * np.sqrt(2)


def fbm(x: np.ndarray, z: np.ndarray, wavelength: float, octaves: int, seed: int,
        lacunarity: float = 2.0, gain: float = 0.5) -> np.ndarray:
    """Fractional Brownian motion on the grid (x[j], z[i]): octaves of gradient noise, each finer
    and fainter; about [-1, 1], shape (len(z), len(x))."""
    total = np.zeros((len(z), len(x)))
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        total += amplitude * gradient_noise(x / wavelength, z / wavelength, key_of(seed, octave))
        norm += amplitude
        wavelength /= lacunarity
        amplitude *= gain
    return total / norm
