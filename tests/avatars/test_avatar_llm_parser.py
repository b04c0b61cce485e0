"""The model parser: a tiny random text generator, decoded under the parameter schema, always yields
parameters the avatar pipeline accepts."""

from __future__ import annotations

import json

import jsonschema
import pytest

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import dna
from worldsmith.avatars.parser_llm import LlmParser, parameter_schema, parameters_from_answer
from worldsmith.avatars.service import AvatarService
from worldsmith.config import AvatarsConfig
from worldsmith.errors import Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.text_generator import load
from worldsmith.runtime.tiny import text as tiny_text


@pytest.fixture(scope="module")
async def generator(tmp_path_factory):
    engine = load(str(tiny_text.make(tmp_path_factory.mktemp("tiny-avatar-parser"))), max_batch_size=4)
    await engine.start()
    yield engine
    await engine.stop()


async def test_model_answers_are_valid_parameters_for_every_seed(generator):
    parser = LlmParser(generator, max_new_tokens=96)
    for seed in range(4):
        params, reader = await parser.parse("tall elf ranger, green cloak", seed, CallContext())
        assert reader == "llm" or reader.startswith("rules (")
        dna.validate(avatar_pb2.CreateAvatarRequest(description="x", parameters=params), max_texture_size=4096)


def test_answers_in_the_schema_become_parameters():
    answer = {"height_m": 1.95, "build": 0.2, "skin_tone": "olive", "hair_style": "ponytail", "hair_color": "auburn",
              "eye_color": "green", "outfit": [{"kind": "shirt", "color": "red"}, {"kind": "jacket"}, {"kind": "boots", "color": "leather"}],
              "accessories": ["glasses", "glasses", "elf_ears"]}
    jsonschema.validate(json.loads(json.dumps(answer)), parameter_schema())
    params = parameters_from_answer(answer)
    assert params.height_m == pytest.approx(1.95) and params.hair_style == "ponytail"
    assert [piece.kind for piece in params.outfit] == ["jacket", "boots"]  # one piece per slot, the last one
    assert list(params.accessories) == ["glasses", "elf_ears"]
    assert parameters_from_answer({"height_m": 40.0}).height_m == pytest.approx(2.4)  # clamped, never invalid


async def test_service_reads_descriptions_with_the_model(generator):
    cpu = FunctionEngine("cpu-avatars-llm", concurrency=1)
    await cpu.start()
    service = AvatarService(AvatarsConfig(parser_model="parser"), cpu, parser_provider=lambda: generator)
    request = avatar_pb2.CreateAvatarRequest(description="a knight in red", seed=3, texture_size=128, lods=[1.0])
    events = [event async for event in service.CreateAvatar(request, CallContext())]
    await cpu.stop()
    assert events[0].progress.stage == "describe" and events[-1].HasField("result")
    result = events[-1].result
    assert result.recipe.model_id and result.recipe.model_revision
    assert result.recipe.parameters["description_reader"] == "llm" or result.recipe.parameters["description_reader"].startswith("rules (")
    dna.validate(avatar_pb2.CreateAvatarRequest(dna=result.dna), max_texture_size=4096)


async def test_an_unloaded_parser_model_answers_unavailable():
    def not_loaded():
        raise Unavailable("model 'parser' is still loading")

    cpu = FunctionEngine("cpu-avatars-unloaded", concurrency=1)
    await cpu.start()
    service = AvatarService(AvatarsConfig(parser_model="parser"), cpu, parser_provider=not_loaded)
    with pytest.raises(Unavailable):
        await service.CreateAvatar(avatar_pb2.CreateAvatarRequest(description="elf"), CallContext()).__anext__()
    # DNA regeneration needs no model.
    events = [e async for e in service.CreateAvatar(avatar_pb2.CreateAvatarRequest(seed=1, parameters=avatar_pb2.AvatarParameters(build=0.5), texture_size=64, lods=[1.0]), CallContext())]
    assert events[-1].HasField("result")
    await cpu.stop()


def test_figure_folk_and_facial_hair_answers_become_parameters():
    answer = {"femininity": 0.0, "age": 80, "muscle": 0.9, "body_plan": "dwarf", "beard_style": "long",
              "moustache_style": "walrus", "facial_hair_color": "white", "outfit": [{"kind": "plate_armour"}, {"kind": "apron"}]}
    jsonschema.validate(answer, parameter_schema())
    params = parameters_from_answer(answer)
    assert (params.body_plan, params.beard_style, params.moustache_style) == ("dwarf", "long", "walrus")
    assert params.age == 80 and params.muscle == pytest.approx(0.9) and params.HasField("femininity")
    assert params.facial_hair_color.r > 0.5
    assert [piece.kind for piece in params.outfit] == ["plate_armour", "apron"]  # the torso and the front: two slots
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"beard_style": "braids"}, parameter_schema())
