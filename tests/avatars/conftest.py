"""Avatars fixtures: one standard avatar shared by the tests that only read it."""

from __future__ import annotations

import pytest

from avatar_helpers import Glb, make
from worldsmith._proto.worldsmith.v1 import avatar_pb2


@pytest.fixture(scope="session")
def ranger() -> avatar_pb2.AvatarResult:
    return make("tall elf ranger, green cloak", seed=7)


@pytest.fixture(scope="session")
def ranger_glb(ranger) -> Glb:
    return Glb(ranger.glb)
