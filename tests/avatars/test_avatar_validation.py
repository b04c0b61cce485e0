"""Bad input is INVALID_ARGUMENT naming the field, before any work."""

from __future__ import annotations

import math

import pytest

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import create
from worldsmith.errors import InvalidArgument

P = avatar_pb2.AvatarParameters


@pytest.mark.parametrize("request_fields, field", [
    ({}, "description"),
    ({"description": "   "}, "description"),
    ({"description": "x" * 1001}, "description"),
    ({"parameters": P(height_m=40.0)}, "parameters.height_m"),
    ({"parameters": P(height_m=math.nan)}, "parameters.height_m"),
    ({"parameters": P(build=1.5)}, "parameters.build"),
    ({"parameters": P(leg_ratio=0.9)}, "parameters.leg_ratio"),
    ({"parameters": P(hair_style="dreadlocks")}, "parameters.hair_style"),
    ({"parameters": P(beard_style="braids")}, "parameters.beard_style"),
    ({"parameters": P(moustache_style="curly")}, "parameters.moustache_style"),
    ({"parameters": P(body_plan="orc")}, "parameters.body_plan"),
    ({"parameters": P(age=300.0)}, "parameters.age"),
    ({"parameters": P(femininity=-0.5)}, "parameters.femininity"),
    ({"parameters": P(muscle=math.inf)}, "parameters.muscle"),
    ({"parameters": P(facial_hair_color=common_pb2.Color(g=-1.0))}, "parameters.facial_hair_color.g"),
    ({"parameters": P(outfit=[avatar_pb2.OutfitPiece(kind="robe"), avatar_pb2.OutfitPiece(kind="plate_armour")])}, "parameters.outfit[1].kind"),
    ({"parameters": P(skin_tone=common_pb2.Color(r=2.0))}, "parameters.skin_tone.r"),
    ({"parameters": P(outfit=[avatar_pb2.OutfitPiece(kind="tutu")])}, "parameters.outfit[0].kind"),
    ({"parameters": P(outfit=[avatar_pb2.OutfitPiece(kind="boots"), avatar_pb2.OutfitPiece(kind="shoes")])}, "parameters.outfit[1].kind"),
    ({"parameters": P(accessories=["jetpack"])}, "parameters.accessories[0]"),
    ({"description": "elf", "texture_size": 1000}, "texture_size"),
    ({"description": "elf", "texture_size": 8192}, "texture_size"),
    ({"description": "elf", "texture_size": 32}, "texture_size"),
    ({"description": "elf", "lods": [1.0, 0.0]}, "lods[1]"),
    ({"description": "elf", "lods": [1.5]}, "lods[0]"),
    ({"description": "elf", "lods": [0.5, 0.5]}, "lods[1]"),
    ({"dna": avatar_pb2.AvatarDna(version=9)}, "dna.version"),
    ({"dna": avatar_pb2.AvatarDna(parameters=P(head_scale=3.0))}, "dna.parameters.head_scale"),
])
def test_bad_input_names_the_field(request_fields, field):
    with pytest.raises(InvalidArgument) as error:
        create(avatar_pb2.CreateAvatarRequest(**request_fields))
    assert field in [name for name, _ in error.value.violations]
    assert error.value.code == "INVALID_ARGUMENT"


def test_every_violation_is_reported_at_once():
    request = avatar_pb2.CreateAvatarRequest(parameters=P(height_m=40.0, hair_style="dreads"), texture_size=3)
    with pytest.raises(InvalidArgument) as error:
        create(request)
    assert [name for name, _ in error.value.violations] == ["parameters.height_m", "parameters.hair_style", "texture_size"]
    assert "[0.9, 2.4]" in error.value.message


def test_texture_size_limit_is_the_configured_one():
    with pytest.raises(InvalidArgument):
        create(avatar_pb2.CreateAvatarRequest(description="elf", texture_size=2048), max_texture_size=1024)


def test_range_ends_are_accepted_after_float32_rounding():
    # 2.4 and 0.9 are not exact in float32; a clamped description or a client at the limit must still pass.
    tallest = create(avatar_pb2.CreateAvatarRequest(description="a 40 m giant", seed=1, texture_size=64, lods=[1.0]))
    assert tallest.dna.parameters.height_m == pytest.approx(2.4)
    create(avatar_pb2.CreateAvatarRequest(dna=tallest.dna, texture_size=64, lods=[1.0]))
    create(avatar_pb2.CreateAvatarRequest(parameters=P(height_m=0.9, leg_ratio=0.58, head_scale=1.25), texture_size=64, lods=[1.0]))
