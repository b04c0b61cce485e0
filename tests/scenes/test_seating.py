"""Seats round what they are seated at: outside its footprint, within reach, facing it, clear of each other."""

from __future__ import annotations

import numpy as np
import pytest

from worldsmith.scenes import relations as rel
from worldsmith.scenes.seating import SEAT_REACH, arrange, capacity

TABLE, CHAIR = (1.6, 0.9), (0.5, 0.5)
COUNTER, STOOL = (2.4, 0.6), (0.4, 0.4)


def footprints(target, seat, count, wall_backed):
    layout = arrange(target, seat, count, wall_backed)
    boxes = []
    for spot in layout.spots:
        half = np.array(seat[::-1] if spot.quarter_turns % 2 else seat) / 2
        boxes.append((np.array([spot.x, spot.z]), half, rel.front_of(spot.quarter_turns)))
    return layout, boxes


@pytest.mark.parametrize("target,seat,wall_backed", [(TABLE, CHAIR, False), (COUNTER, STOOL, True)], ids=["table", "counter"])
def test_every_seat_is_within_reach_faces_the_target_and_keeps_clear(target, seat, wall_backed):
    half_target = np.array(target) / 2
    for count in range(1, capacity(target, seat, wall_backed) + 1):
        layout, boxes = footprints(target, seat, count, wall_backed)
        assert len(layout.spots) == count
        for centre, half, front in boxes:
            gap = rel.gaps(centre[None], half[None], np.zeros((1, 2)), half_target[None])[0, 0]
            assert 0 < gap <= SEAT_REACH, "outside the target, never over it, and within reach"
            assert rel.front_meets(centre[None], front[None], -half_target[None], half_target[None])[0]
            x0, x1, z0, z1 = layout.bounds
            assert x0 <= centre[0] - half[0] and centre[0] + half[0] <= x1 and z0 <= centre[1] - half[1] and centre[1] + half[1] <= z1
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                (a, ha, _), (b, hb, _) = boxes[i], boxes[j]
                assert np.any(np.abs(a - b) >= ha + hb - 1e-9), "seats never overlap"


def test_capacity_and_order():
    assert capacity(TABLE, CHAIR, wall_backed=False) == 6   # two along each long side, one at each end
    assert capacity(COUNTER, STOOL, wall_backed=True) == 4  # the front only: its back is on the wall
    two = arrange(TABLE, CHAIR, 2, False).spots
    assert sorted(spot.z > 0 for spot in two) == [False, True], "two sitters face each other across the table"
    with pytest.raises(ValueError):
        arrange(COUNTER, STOOL, 5, True)
