"""Helpers the texture tests share: a cache in a folder, running a stream to its end, reading back PNGs."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.runtime.context import CallContext
from worldsmith.store.content_cache import ContentCache
from worldsmith.textures.cache import KIND, TextureCache

# The tiny Stable Diffusion model's name in test configs.
TINY = "tiny-sd"


def folder_cache(data_dir: Path, **options) -> TextureCache:
    """A texture cache in the folder store under `data_dir`, as a server without store.assets_url has."""
    return TextureCache(ContentCache(data_dir, KIND), **options)


async def collect(service, request, ctx=None) -> list[texture_pb2.GenerateTextureResponse]:
    return [event async for event in service.GenerateTexture(request, ctx or CallContext())]


def result_of(events) -> texture_pb2.TextureResult:
    assert events[-1].HasField("result"), [event.WhichOneof("event") for event in events]
    return events[-1].result


def read_png(data: bytes) -> np.ndarray:
    """Decode any PNG this project writes to floats in [0, 1], (H, W) or (H, W, 3).

    8-bit and 16-bit grey go through Pillow; Pillow reads 16-bit RGB only as 8-bit, so that one
    is unpacked here (the writer uses the "Up" filter on every row).
    """
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", data[16:26])
    if bit_depth == 8 or colour_type == 0:
        pixels = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float32)
        return pixels / (255.0 if bit_depth == 8 else 65535.0)
    position, payload = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            payload += data[position + 8:position + 8 + length]
        position += 12 + length
    raw = np.frombuffer(zlib.decompress(payload), np.uint8).reshape(height, -1)
    assert (raw[:, 0] == 2).all()
    rows = np.cumsum(raw[:, 1:], axis=0, dtype=np.uint8)
    return rows.copy().view(">u2").reshape(height, width, 3).astype(np.float32) / 65535.0
