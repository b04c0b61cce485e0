"""After the backend: PBR maps, seam scores, PNGs and recipes, as the steps of one CPU job."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from worldsmith._proto.worldsmith.v1 import common_pb2, texture_pb2
from worldsmith.runtime.engine import Job
from worldsmith.textures import encode, pbr, procedural
from worldsmith.textures.pbr import Surface
from worldsmith.textures.request import TexturePlan
from worldsmith.textures.seams import seam_score

PREVIEW_PIXELS = 128
# zlib releases the GIL: a set's PNGs compress in parallel while the seams are measured.
_ENCODERS = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="texture-png")


def finish(plan: TexturePlan, surface: Surface, recipe: common_pb2.Recipe) -> texture_pb2.TextureVariation:
    """Derive the requested maps from one surface, measure their seams, encode them."""
    maps = pbr.derive(surface, plan.maps, plan.normal_convention)
    pngs = {kind: _ENCODERS.submit(encode.png, pixels, plan.bit_depth) for kind, pixels in maps.items()}
    images = []
    for kind, pixels in maps.items():
        seam_x, seam_y = seam_score(pixels)
        images.append(texture_pb2.TextureImage(
            map=kind, png=pngs[kind].result(), width=plan.width, height=plan.height,
            bit_depth=plan.bit_depth, seam=texture_pb2.SeamScore(x=seam_x, y=seam_y),
        ))
    return texture_pb2.TextureVariation(images=images, recipe=recipe)


def procedural_job(plan: TexturePlan, recipes: list[common_pb2.Recipe]) -> Callable[[Job], texture_pb2.TextureResult]:
    """A FunctionEngine job: paint each variation, then finish it, checking for cancel between."""

    def run(job: Job) -> texture_pb2.TextureResult:
        variations = []
        for index in range(plan.variations):
            job.ctx.check()
            surface = procedural.render(plan.preset, plan.parameters, plan.width, plan.height, plan.tile_x, plan.tile_y,
                                        plan.seed_of(index))
            preview = _preview(surface) if plan.preview_every and index == 0 else b""
            job.emit(common_pb2.Progress(stage="paint", step=index + 1, total=plan.variations, preview_png=preview))
            job.ctx.check()
            variations.append(finish(plan, surface, recipes[index]))
            job.emit(common_pb2.Progress(stage="maps", step=index + 1, total=plan.variations))
        return texture_pb2.TextureResult(variations=variations)

    return run


def maps_job(plan: TexturePlan, surfaces: list[Surface],
             recipes: list[common_pb2.Recipe]) -> Callable[[Job], texture_pb2.TextureResult]:
    """A FunctionEngine job: finish images another backend produced."""

    def run(job: Job) -> texture_pb2.TextureResult:
        variations = []
        for index, surface in enumerate(surfaces):
            job.ctx.check()
            variations.append(finish(plan, surface, recipes[index]))
            job.emit(common_pb2.Progress(stage="maps", step=index + 1, total=len(surfaces)))
        return texture_pb2.TextureResult(variations=variations)

    return run


def _preview(surface: Surface) -> bytes:
    step = max(1, max(surface.albedo.shape[:2]) // PREVIEW_PIXELS)
    return encode.png(surface.albedo[::step, ::step], 8)
