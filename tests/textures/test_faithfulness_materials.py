"""Materials match their prompts: every requirement of the faithfulness suite's material cases holds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import _faithfulness_materials as materials  # noqa: E402

OUTCOMES = materials.cases()


def test_the_suite_covers_at_least_ten_material_prompts():
    assert len({outcome["prompt"] for outcome in OUTCOMES}) >= 10


@pytest.mark.parametrize("outcome", OUTCOMES, ids=[outcome["prompt"] for outcome in OUTCOMES])
def test_every_requirement_of_the_prompt_is_met(outcome):
    missed = [f"{r['name']}: {r['value']} (want {r['want']})" for r in outcome["requirements"] if not r["met"]]
    assert not missed, missed


def test_the_measures_catch_what_the_old_presets_got_wrong():
    """Pastel stones, short boards and cross grain fail the checks the cases use."""
    board = np.zeros((60, 120), np.float32) + 0.9
    board[::20] = 0.0                       # course joints every 20 rows
    board[:, ::40] = 0.0                    # end joints every 40 columns: boards 2:1
    ratio, courses = materials.unit_proportions(board)
    assert courses == 3 and 1.5 < ratio < 2.5
    board[:, ::40] = 0.9
    board[:, 5::120] = 0.0                  # one end joint per course: boards 6:1
    assert materials.unit_proportions(board)[0] > 5

    pastel = np.array([[0.80, 0.62, 0.66], [0.66, 0.60, 0.78], [0.55, 0.54, 0.52]], np.float32).T.reshape(3, 1, 3)
    hue, saturation, _ = materials.hsv(pastel)
    assert (saturation[0, :2] > 0.08).all() and ((hue[0, :2] < 10) | (hue[0, :2] > 70)).all()
