"""With a texture model loaded, hair and garment tiles get diffusion detail; the face keeps its paint."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from avatar_helpers import Glb, validate
from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import atlas
from worldsmith.avatars.service import AvatarService
from worldsmith.config import AvatarsConfig
from worldsmith.errors import Unavailable
from worldsmith.runtime import diffusion
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.engine import FunctionEngine
from worldsmith.runtime.tiny.diffusion import make


@pytest.fixture(scope="module")
async def engines(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models") / "tiny-sd-avatars"
    make(folder)
    painter = diffusion.load(str(folder), "main", "cpu", torch.float32)
    cpu = FunctionEngine("cpu-avatars-textures", concurrency=1)
    await painter.start()
    await cpu.start()
    yield cpu, painter
    await cpu.stop()
    await painter.stop()


REQUEST = avatar_pb2.CreateAvatarRequest(description="ranger with long red hair", seed=9, texture_size=512, lods=[1.0])


def _atlas(result: avatar_pb2.AvatarResult) -> np.ndarray:
    glb = Glb(result.glb)
    view = glb.gltf.bufferViews[glb.gltf.images[0].bufferView]
    return np.asarray(Image.open(io.BytesIO(glb.blob[view.byteOffset : view.byteOffset + view.byteLength])))


async def _result(service: AvatarService) -> tuple[list[str], avatar_pb2.AvatarResult]:
    events = [event async for event in service.CreateAvatar(REQUEST, CallContext())]
    return [event.progress.stage for event in events if event.HasField("progress")], events[-1].result


async def test_texture_model_paints_hair_and_garment_tiles(engines, tmp_path):
    cpu, painter = engines
    stages, painted = await _result(AvatarService(AvatarsConfig(), cpu, texture_provider=lambda: painter))
    assert stages == ["parameters", "skeleton", "texture", "texture-model", "lod0", "sidecars"]
    assert painted.recipe.parameters["texture_model"]["id"] == painter.model_id
    _, procedural = await _result(AvatarService(AvatarsConfig(), cpu))
    assert "texture_model" not in procedural.recipe.parameters
    assert painted.recipe.content_hash != procedural.recipe.content_hash
    a, b = _atlas(painted), _atlas(procedural)
    for tile in ("face", "eyes", "skin"):
        assert np.array_equal(a[atlas.tile_box(tile, 512)], b[atlas.tile_box(tile, 512)]), tile
    for tile in ["hair"] + [piece.kind for piece in painted.dna.parameters.outfit]:
        assert not np.array_equal(a[atlas.tile_box(tile, 512)], b[atlas.tile_box(tile, 512)]), tile
    # The painted hair still fades into the skin at the hairline (the tile's last rows).
    hair, skin = a[atlas.tile_box("hair", 512)].astype(float), a[atlas.tile_box("skin", 512)].astype(float).mean(axis=(0, 1))
    assert np.abs(hair[-8:-4] - skin).mean() < 0.6 * np.abs(hair[8:40] - skin).mean()
    # Same DNA, same model: same bytes.
    _, again = await _result(AvatarService(AvatarsConfig(), cpu, texture_provider=lambda: painter))
    assert again.glb == painted.glb
    (tmp_path / "painted.glb").write_bytes(painted.glb)
    report = validate([tmp_path / "painted.glb"])[0]
    assert report["issues"]["numErrors"] == 0 and report["issues"]["numWarnings"] == 0


async def test_an_unloaded_texture_model_leaves_the_procedural_paint(engines):
    cpu, _ = engines

    def not_loaded():
        raise Unavailable("model 'textures' is still loading")

    stages, result = await _result(AvatarService(AvatarsConfig(), cpu, texture_provider=not_loaded))
    assert "texture-model" not in stages and "texture_model" not in result.recipe.parameters
