"""The scene and avatar commands run on the config's planner and parser models, as builds and the server do."""

from __future__ import annotations

import asyncio

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2, scene_pb2
from worldsmith.cli.avatar import create_avatar
from worldsmith.cli.scene import generate_scene
from worldsmith.config import load_settings


def test_a_scene_is_planned_by_the_planner_model_when_the_config_names_one(tiny_models):
    request = scene_pb2.GenerateSceneRequest(kind=scene_pb2.SCENE_KIND_INTERIOR, prompt="a tavern with two tables", seed=3,
                                             bounds=common_pb2.Vec3(x=8, y=3, z=6), skip_preview=True)
    planned = asyncio.run(generate_scene(load_settings(tiny_models / "worldsmith.toml"), request))
    assert planned.recipe.model_id
    by_keywords = asyncio.run(generate_scene(load_settings(None), request))
    assert not by_keywords.recipe.model_id


def test_a_description_is_read_by_the_parser_model_when_the_config_names_one(tiny_models):
    request = avatar_pb2.CreateAvatarRequest(description="tall elf ranger, green cloak", seed=11, texture_size=128)
    read = asyncio.run(create_avatar(load_settings(tiny_models / "worldsmith.toml"), request))
    assert read.recipe.model_id
    by_rules = asyncio.run(create_avatar(load_settings(None), request))
    assert not by_rules.recipe.model_id
