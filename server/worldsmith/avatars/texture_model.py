"""Diffusion detail for the atlas: image-to-image over the hair and garment tiles, so a texture
model adds strands, weave and grain while the procedural colours and layout stay.

The face, skin, eye and accessory tiles keep their procedural paint: their features must sit
exactly where the UVs expect them.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PIL import Image

from worldsmith.avatars import atlas
from worldsmith.avatars.pipeline import Design
from worldsmith.runtime.context import CallContext
from worldsmith.runtime.diffusion import DiffusionEngine, DiffusionOutput, DiffusionRequest

PROMPTS = {
    "hair": "close-up of hair strands, fine detailed hair texture",
    "shirt": "knitted cotton fabric texture, close-up",
    "jacket": "woven jacket fabric texture, close-up",
    "trousers": "denim twill fabric texture, close-up",
    "shorts": "cotton twill fabric texture, close-up",
    "skirt": "wool fabric texture, close-up",
    "boots": "leather texture, close-up",
    "shoes": "leather texture, close-up",
    "gloves": "soft leather texture, close-up",
    "cloak": "heavy wool cloth texture, close-up",
    "robe": "heavy woven wool robe fabric texture, close-up",
    "dress": "fine woven dress fabric texture, close-up",
    "gown": "fine silk gown fabric texture, close-up",
    "plate_armour": "polished steel plate armour texture, close-up",
    "leather_armour": "hardened leather armour texture, close-up",
    "apron": "thick leather apron texture, close-up",
}
NEGATIVE = "text, watermark, logo, person, face, seam, border"
STRENGTH = 0.45  # enough for new detail, little enough that the chosen colour survives
MIN_TILE = 128  # smaller tiles gain nothing from a model


def tiles_to_refine(design: Design) -> list[str]:
    params = design.dna.parameters
    names = [] if params.hair_style == "bald" else ["hair"]
    return names + [piece.kind for piece in params.outfit]


async def refine(design: Design, engine: DiffusionEngine, ctx: CallContext) -> bool:
    """Repaint the hair and garment tiles of `design.atlas` in place; False when the atlas is too
    small for it. Each tile's seed comes from the DNA, so the same DNA gives the same pixels."""
    size = design.atlas.shape[0]
    side = size // atlas.GRID
    if side < MIN_TILE:
        return False
    names = tiles_to_refine(design)
    jobs = [
        engine.submit(DiffusionRequest(
            prompt=PROMPTS[name], negative_prompt=NEGATIVE, width=side, height=side, steps=engine.default_steps,
            guidance_scale=engine.default_guidance, seeds=(int(design.stream(f"diffusion:{name}").integers(2**31)),),
            tile_x=True, init_image=Image.fromarray(design.atlas[atlas.tile_box(name, size)]), strength=STRENGTH,
        ), ctx)
        for name in names  # all submitted before any is awaited, so the engine batches them
    ]
    outputs = await asyncio.gather(*(_output(job) for job in jobs))
    for name, output in zip(names, outputs):
        painted = np.round(np.clip(output.images[0], 0.0, 1.0) * 255.0).astype(np.uint8)
        if name == "hair":  # the scalp cap's edge still fades into the skin
            painted = atlas.fade_hairline(painted, design.dna.parameters.skin_tone)
        design.atlas[atlas.tile_box(name, size)] = painted
    return True


async def _output(job) -> DiffusionOutput:
    result = None
    async for event in job.events():
        if isinstance(event, DiffusionOutput):
            result = event
    return result
