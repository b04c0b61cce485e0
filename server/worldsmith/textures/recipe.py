"""Recipes: how to regenerate a texture variation, and the content hash that is also its cache key."""

from __future__ import annotations

import hashlib
import json

from google.protobuf import struct_pb2

from worldsmith._proto.worldsmith.v1 import common_pb2
from worldsmith.textures.request import TexturePlan


def variation_recipe(plan: TexturePlan, variation: int, model_id: str, revision: str, backend_version: str) -> common_pb2.Recipe:
    """The recipe of one variation: alone, with this seed, it gives the same images."""
    parameters = plan.recipe_parameters()
    fields = {
        "seed": plan.seed_of(variation),
        "model_id": model_id,
        "model_revision": revision,
        "backend": plan.backend,
        "backend_version": backend_version,
        "parameters": parameters,
    }
    struct = struct_pb2.Struct()
    struct.update(parameters)
    return common_pb2.Recipe(
        seed=fields["seed"], model_id=model_id, model_revision=revision, backend=plan.backend,
        backend_version=backend_version, parameters=struct, content_hash=_hash(fields),
    )


def _hash(value) -> str:
    # Sorted keys and fixed separators: the same data always serialises to the same bytes.
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
