"""Soft relations measured on footprints: NEAR is a horizontal gap, FACING a 90-degree cone."""

from __future__ import annotations

import math

import numpy as np

# FACING holds when the nearest target's centre lies within this angle of the asset's front.
FACING_HALF_ANGLE = math.radians(45)
FACING_COS = math.cos(FACING_HALF_ANGLE)


def front_of(quarter_turns: np.ndarray | int) -> np.ndarray:
    """The +Z front of an asset turned by quarter turns about +Y, as (x, z)."""
    yaw = np.asarray(quarter_turns) * (math.pi / 2)
    return np.stack([np.round(np.sin(yaw)), np.round(np.cos(yaw))], axis=-1)


def gaps(centres: np.ndarray, halves: np.ndarray, target_centres: np.ndarray, target_halves: np.ndarray) -> np.ndarray:
    """Horizontal gap in metres between every footprint (n, 2) and every target (k, 2): 0 when they touch."""
    apart = np.abs(centres[:, None, :] - target_centres[None, :, :]) - (halves[:, None, :] + target_halves[None, :, :])
    return np.hypot(*np.moveaxis(np.maximum(apart, 0.0), -1, 0))


def nearest(centres: np.ndarray, target_centres: np.ndarray) -> np.ndarray:
    """Index of the target whose centre is nearest each footprint's centre."""
    distance = np.linalg.norm(centres[:, None, :] - target_centres[None, :, :], axis=-1)
    return np.argmin(distance, axis=1)


def facing_cosines(centres: np.ndarray, fronts: np.ndarray, target_centres: np.ndarray) -> np.ndarray:
    """Cosine of the angle between each front and the direction to its nearest target (1: straight at it)."""
    towards = target_centres[nearest(centres, target_centres)] - centres
    length = np.linalg.norm(towards, axis=-1)
    return np.where(length > 1e-9, np.einsum("ij,ij->i", towards, fronts) / np.maximum(length, 1e-9), 1.0)


def near_holds(gap: np.ndarray, distance: float) -> np.ndarray:
    return gap <= distance + 1e-4


def facing_holds(cosine: np.ndarray) -> np.ndarray:
    return cosine >= FACING_COS - 1e-6


def front_meets(centres: np.ndarray, fronts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether the ray from each centre (n, 2) along its front (n, 2) meets its box [lo, hi] (n, 2 each):
    a stool at the end of a long counter faces the counter though not its middle."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (lo - centres) / fronts
        t1 = (hi - centres) / fronts
    near = np.where(fronts == 0, np.where((centres >= lo) & (centres <= hi), -np.inf, np.inf), np.minimum(t0, t1))
    far = np.where(fronts == 0, np.where((centres >= lo) & (centres <= hi), np.inf, -np.inf), np.maximum(t0, t1))
    enter, leave = near.max(axis=1), far.min(axis=1)
    return (enter <= leave) & (leave >= 0)
