"""The content-addressed cache and the tiny Stable Diffusion writer."""

from __future__ import annotations

import hashlib

import pytest
import torch
from diffusers import StableDiffusionPipeline

from worldsmith.runtime.diffusion import circular_padding
from worldsmith.runtime.tiny.diffusion import make
from worldsmith.store.content_cache import ContentCache


def test_cache_round_trips_and_leaves_no_partial_files(tmp_path):
    cache = ContentCache(tmp_path, "textures")
    key = hashlib.sha256(b"recipe").hexdigest()
    assert cache.get(key) is None and key not in cache
    cache.put(key, b"first")
    cache.put(key, b"second")
    assert cache.get(key) == b"second" and key in cache
    assert cache.path(key).parent.parent == tmp_path / "cache" / "textures"
    assert [p.name for p in cache.path(key).parent.iterdir()] == [key]
    with pytest.raises(ValueError):
        cache.get("../../etc/passwd")


def test_tiny_model_is_the_same_files_every_run(tmp_path, tiny_sd_dir):
    make(tmp_path / "again")
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    assert files(tiny_sd_dir) == files(tmp_path / "again")


def test_tiny_model_loads_with_diffusers_and_its_vae_keeps_colours(tiny_sd_dir):
    pipeline = StableDiffusionPipeline.from_pretrained(tiny_sd_dir)
    pipeline.set_progress_bar_config(disable=True)
    image = pipeline("grass", width=64, height=64, num_inference_steps=2, output_type="np",
                     generator=torch.Generator().manual_seed(0)).images[0]
    assert image.shape == (64, 64, 3) and 0.05 < image.std() < 0.45
    y, x = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
    smooth = torch.stack([x * 0.8, y * 0.8, (x * y) * 0.8])[None]
    with torch.no_grad():
        decoded = pipeline.vae.decode(pipeline.vae.encode(smooth).latent_dist.mean).sample
    inside = (slice(None), slice(None), slice(8, -8), slice(8, -8))  # zero padding dims the border, as in real VAEs
    assert (decoded - smooth)[inside].abs().mean() < 0.05


def test_circular_padding_makes_convolutions_wrap_and_is_undone():
    conv = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False)
    torch.nn.init.constant_(conv.weight, 1.0)
    image = torch.zeros(1, 1, 6, 6)
    image[0, 0, :, 0] = 1  # a line on the left edge
    with circular_padding([conv], x=True, y=False):
        wrapped = conv(image)
    plain = conv(image)
    assert wrapped[0, 0, 2, -1] == 3 and plain[0, 0, 2, -1] == 0  # the right edge sees the left one
    assert wrapped[0, 0, 0, 0] == 2  # but not around the top: y keeps zero padding
