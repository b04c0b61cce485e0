"""GenerateTexture on the tiny Stable Diffusion pipeline: stream, tiling, cache, cancel, img2img, batching."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image
from prometheus_client import REGISTRY

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.errors import Cancelled, DeadlineExceeded
from worldsmith.runtime import metrics
from worldsmith.runtime.context import CallContext
from worldsmith.textures.service import TextureService

from texture_helpers import TINY, folder_cache
from texture_helpers import collect, read_png, result_of

ALL_MAPS = [value for value in texture_pb2.TextureMap.values() if value]


def request(**fields) -> texture_pb2.GenerateTextureRequest:
    defaults = dict(prompt="mossy cobblestone", width=64, height=64, seed=7, steps=4, model=TINY)
    return texture_pb2.GenerateTextureRequest(**{**defaults, **fields})


def steps_run(engine) -> float:
    return metrics.DIFFUSION_STEPS.labels(engine.name)._value.get()


async def test_stream_sends_queued_then_progress_with_previews_then_one_result(service):
    events = await collect(service, request(steps=6, preview_every=2, maps=[texture_pb2.TEXTURE_MAP_ALBEDO]))
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds[0] == "queued" and kinds[-1] == "result" and kinds.count("result") == 1
    denoise = [event.progress for event in events if event.HasField("progress") and event.progress.stage == "denoise"]
    assert [p.step for p in denoise] == [1, 2, 3, 4, 5, 6] and {p.total for p in denoise} == {6}
    previews = [p for p in denoise if p.preview_png]
    assert [p.step for p in previews] == [2, 4]
    preview = Image.open(io.BytesIO(previews[0].preview_png))
    assert preview.size == (8, 8)  # latent resolution: decoded from the latents, not by the VAE
    result = result_of(events)
    assert not result.cached and len(result.variations) == 1
    recipe = result.variations[0].recipe
    assert recipe.seed == 7 and recipe.backend == "diffusion" and recipe.model_id.endswith(TINY)
    assert recipe.model_revision.startswith("main+") and len(recipe.content_hash) == 64
    assert recipe.parameters["steps"] == 6 and recipe.parameters["prompt"] == "mossy cobblestone"


async def test_tiled_output_is_seamless_on_tiled_axes_only(service):
    scores = {}
    for tiling in (texture_pb2.TILING_BOTH, texture_pb2.TILING_NONE, texture_pb2.TILING_X):
        result = result_of(await collect(service, request(tiling=tiling, seed=3)))
        seam = result.variations[0].images[0].seam
        scores[texture_pb2.Tiling.Name(tiling)] = (seam.x, seam.y)
    assert max(scores["TILING_BOTH"]) < 1.5, scores
    assert min(scores["TILING_NONE"]) > 2.0, scores
    assert scores["TILING_X"][0] < 1.5 < 2.0 < scores["TILING_X"][1], scores


async def test_every_returned_map_tiles(service):
    result = result_of(await collect(service, request(maps=ALL_MAPS, seed=11)))
    images = result.variations[0].images
    assert [image.map for image in images] == ALL_MAPS
    for image in images:
        assert max(image.seam.x, image.seam.y) < 2.0, texture_pb2.TextureMap.Name(image.map)
        pixels = read_png(image.png)
        assert pixels.shape[:2] == (64, 64) and image.width == image.height == 64


async def test_same_recipe_same_bytes_and_the_second_call_is_a_cache_hit(settings, diffusion_engine, cpu_engine, tmp_path):
    first_service = TextureService(settings, {TINY: lambda: diffusion_engine}, cpu_engine, folder_cache(tmp_path / "a"))
    other_service = TextureService(settings, {TINY: lambda: diffusion_engine}, cpu_engine, folder_cache(tmp_path / "b"))
    wanted = request(maps=[texture_pb2.TEXTURE_MAP_ALBEDO, texture_pb2.TEXTURE_MAP_NORMAL], format=texture_pb2.IMAGE_FORMAT_PNG16)
    first = result_of(await collect(first_service, wanted))
    before = steps_run(diffusion_engine)
    again_events = await collect(first_service, wanted)
    again = result_of(again_events)
    regenerated = result_of(await collect(other_service, wanted))  # an empty cache: generated again
    assert again.cached and not first.cached and not regenerated.cached
    assert len(again_events) == 1  # at once: no queue, no progress
    assert steps_run(diffusion_engine) - before == wanted.steps  # only the regeneration ran the model
    pngs = lambda result: [image.png for image in result.variations[0].images]
    assert pngs(first) == pngs(again) == pngs(regenerated)
    assert first.variations[0].recipe == regenerated.variations[0].recipe
    assert read_png(first.variations[0].images[0].png).shape == (64, 64, 3)
    other_seed = result_of(await collect(first_service, request(seed=8, maps=[texture_pb2.TEXTURE_MAP_ALBEDO])))
    assert not other_seed.cached


async def test_cancel_stops_the_pipeline_within_one_step(service, diffusion_engine):
    ctx = CallContext()
    before = steps_run(diffusion_engine)
    with pytest.raises(Cancelled):
        async for event in service.GenerateTexture(request(steps=40, seed=21), ctx):
            if event.HasField("progress") and event.progress.step == 3:
                ctx.cancel()
                at_cancel = steps_run(diffusion_engine)
    await asyncio.sleep(0.2)
    assert steps_run(diffusion_engine) - at_cancel <= 1
    assert steps_run(diffusion_engine) - before < 10


async def test_a_caller_that_leaves_stops_the_pipeline_and_is_counted(service, diffusion_engine):
    before = steps_run(diffusion_engine)
    stopped_before = _stopped_jobs(diffusion_engine)
    stream = service.GenerateTexture(request(steps=40, seed=22), CallContext())
    async for event in stream:
        if event.HasField("progress"):
            break
    await stream.aclose()  # what a disconnect does to the handler
    for _ in range(60):
        if _stopped_jobs(diffusion_engine)[0] > stopped_before[0]:
            break
        await asyncio.sleep(0.05)
    assert steps_run(diffusion_engine) - before <= 3
    count, steps_after = _stopped_jobs(diffusion_engine)
    assert count == stopped_before[0] + 1, "the disconnect was not counted"
    assert steps_after - stopped_before[1] <= 1


def _stopped_jobs(engine) -> tuple[float, float]:
    """How many stopped jobs the metrics have seen, and the steps their batches ran after the stops."""
    labels = {"model": engine.name}
    return (REGISTRY.get_sample_value("worldsmith_diffusion_steps_after_cancel_count", labels) or 0.0,
            REGISTRY.get_sample_value("worldsmith_diffusion_steps_after_cancel_sum", labels) or 0.0)


async def test_img2img_changes_the_init_image_in_proportion_to_strength(service):
    y, x = np.mgrid[0:64, 0:64] / 64
    init = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * x), 0.5 + 0.4 * np.cos(2 * np.pi * y), 0.5 + 0.3 * np.sin(2 * np.pi * (x + y))], -1)
    buffer = io.BytesIO()
    Image.fromarray((init * 255).astype(np.uint8)).save(buffer, format="PNG")
    changes = []
    for strength in (0.2, 0.5, 0.8, 1.0):
        events = await collect(service, request(steps=10, init_image=buffer.getvalue(), strength=strength))
        denoise_steps = [e.progress.total for e in events if e.HasField("progress") and e.progress.stage == "denoise"]
        assert denoise_steps[0] == int(10 * strength)
        output = read_png(result_of(events).variations[0].images[0].png)
        changes.append(float(np.abs(output - init).mean()))
    assert changes == sorted(changes) and changes[-1] > 3 * changes[0], changes
    assert changes[0] < 0.06  # a light touch keeps the picture


async def test_four_compatible_requests_share_one_pipeline_call(service, diffusion_engine):
    before = steps_run(diffusion_engine)
    results = await asyncio.gather(*(collect(service, request(seed=100 + i, steps=5)) for i in range(4)))
    assert steps_run(diffusion_engine) - before == 5  # one batch: five steps, not twenty
    seeds = [result_of(events).variations[0].recipe.seed for events in results]
    assert seeds == [100, 101, 102, 103]
    albedos = [result_of(events).variations[0].images[0].png for events in results]
    assert len(set(albedos)) == 4


async def test_variations_have_their_own_seeds_and_recipes(service):
    result = result_of(await collect(service, request(variations=3, seed=50)))
    assert [v.recipe.seed for v in result.variations] == [50, 51, 52]
    assert len({v.images[0].png for v in result.variations}) == 3
    assert len({v.recipe.content_hash for v in result.variations}) == 3
    # Each variation is its own recipe: asking for the second one alone is a cache hit.
    second = result_of(await collect(service, request(seed=51)))
    assert second.cached and second.variations[0] == result.variations[1]


async def test_list_backends_names_ready_models_and_presets(service):
    backends = await service.ListTextureBackends(texture_pb2.ListTextureBackendsRequest(), CallContext())
    assert list(backends.models) == [TINY] and backends.default_model == TINY
    presets = {preset.name: preset for preset in backends.presets}
    assert {"bricks", "planks", "rock", "grass", "metal", "cobblestone"} <= set(presets)
    assert "wood" in presets["planks"].keywords and presets["bricks"].default_parameters["rows"] == 12


async def test_a_deadline_stops_the_pipeline_and_says_so(service, diffusion_engine):
    before = steps_run(diffusion_engine)
    with pytest.raises(DeadlineExceeded):
        await collect(service, request(steps=50, seed=23), CallContext.with_timeout(0.15))
    assert steps_run(diffusion_engine) - before < 50
