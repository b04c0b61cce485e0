"""GenerateTexture on the procedural backend and bad input."""

from __future__ import annotations

import io

import pytest
from google.protobuf import struct_pb2
from PIL import Image

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.errors import InvalidArgument, Unavailable
from worldsmith.runtime.context import CallContext
from worldsmith.textures.service import TextureService

from texture_helpers import TINY, folder_cache
from texture_helpers import collect, read_png, result_of

ALL_MAPS = [value for value in texture_pb2.TextureMap.values() if value]


def procedural(**fields) -> texture_pb2.GenerateTextureRequest:
    defaults = dict(prompt="red brick wall", width=128, height=128, seed=5, model="procedural")
    return texture_pb2.GenerateTextureRequest(**{**defaults, **fields})


async def test_procedural_stream_preview_maps_and_cache(service):
    wanted = procedural(maps=ALL_MAPS, preview_every=1, format=texture_pb2.IMAGE_FORMAT_PNG16)
    events = await collect(service, wanted)
    assert [e.WhichOneof("event") for e in events] == ["queued", "progress", "progress", "result"]
    preview = Image.open(io.BytesIO(events[1].progress.preview_png))
    assert events[1].progress.stage == "paint" and preview.size == (128, 128)
    result = result_of(events)
    recipe = result.variations[0].recipe
    assert recipe.backend == "procedural" and recipe.model_id == "" and recipe.parameters["preset"] == "bricks"
    for image in result.variations[0].images:
        assert image.bit_depth == 16 and max(image.seam.x, image.seam.y) < 1.6
    normal = read_png(next(i.png for i in result.variations[0].images if i.map == texture_pb2.TEXTURE_MAP_NORMAL))
    assert normal.shape == (128, 128, 3) and 0.9 < normal[..., 2].mean() <= 1.0  # mostly facing out
    again = result_of(await collect(service, wanted))
    assert again.cached and [i.png for i in again.variations[0].images] == [i.png for i in result.variations[0].images]


async def test_empty_model_uses_procedural_for_presets_and_when_no_model_is_ready(settings, cpu_engine, tmp_path):
    def missing():
        raise Unavailable(f"{TINY} failed to load")

    service = TextureService(settings, {TINY: missing}, cpu_engine, folder_cache(tmp_path))
    result = result_of(await collect(service, texture_pb2.GenerateTextureRequest(prompt="oak planks", width=64, height=64, seed=1)))
    assert result.variations[0].recipe.backend == "procedural"
    backends = await service.ListTextureBackends(texture_pb2.ListTextureBackendsRequest(), CallContext())
    assert list(backends.models) == [] and backends.default_model == "procedural"
    with pytest.raises(Unavailable):
        await collect(service, texture_pb2.GenerateTextureRequest(prompt="x", model=TINY))


async def test_explicit_preset_and_parameters_win_over_the_prompt(service):
    parameters = struct_pb2.Struct()
    parameters.update({"color": "#2040c0", "count": 8})
    result = result_of(await collect(service, texture_pb2.GenerateTextureRequest(
        prompt="red", preset="tiles", preset_parameters=parameters, width=64, height=64, seed=2)))
    recipe = result.variations[0].recipe
    assert recipe.parameters["preset"] == "tiles" and recipe.parameters["preset_parameters"]["count"] == 8
    albedo = read_png(result.variations[0].images[0].png)
    assert albedo[..., 2].mean() > albedo[..., 0].mean() + 0.2  # blue, not the prompt's red


@pytest.mark.parametrize("fields, field", [
    (dict(width=100), "width"),
    (dict(height=4096), "height"),
    (dict(steps=51), "steps"),
    (dict(variations=5), "variations"),
    (dict(model="sdxl-somewhere"), "model"),
    (dict(init_image=b"not an image", model=TINY), "init_image"),
    (dict(strength=1.5, model=TINY), "strength"),
    (dict(strength=-0.1, model=TINY), "strength"),
    (dict(guidance_scale=float("nan"), model=TINY), "guidance_scale"),
    (dict(maps=[0]), "maps[0]"),
    (dict(preset="lava"), "preset"),
    (dict(prompt="", model=TINY), "prompt"),
    (dict(init_image=b"x", model="procedural"), "init_image"),
])
async def test_bad_input_names_the_field_before_any_work_is_queued(service, cpu_engine, diffusion_engine, fields, field):
    queued = (cpu_engine.queued(), diffusion_engine.queued())
    with pytest.raises(InvalidArgument) as error:
        await collect(service, procedural(**fields))
    assert field in [name for name, _ in error.value.violations], error.value.message
    assert (cpu_engine.queued(), diffusion_engine.queued()) == queued


async def test_bad_preset_parameters_name_the_parameter(service):
    parameters = struct_pb2.Struct()
    parameters.update({"rows": 1000, "glitter": 1, "color": [2, 0, 0]})
    with pytest.raises(InvalidArgument) as error:
        await collect(service, procedural(preset="bricks", preset_parameters=parameters))
    fields = {name for name, _ in error.value.violations}
    assert fields == {"preset_parameters.rows", "preset_parameters.glitter", "preset_parameters.color"}
