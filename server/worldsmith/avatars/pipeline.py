"""The avatar pipeline: request -> DNA -> skeleton -> atlas -> one GLB per LOD -> sidecars.

`create()` is the whole generator, usable without the server (CLI, build systems). Every LOD
is built from the same parametric description at its own tessellation, so each keeps the
skeleton, the skin weights, the UV layout and the blend shapes of the full avatar.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable

import numpy as np
from google.protobuf import json_format, struct_pb2

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import atlas, catalogue, describe, dna as dna_module, glb, sidecars, skeleton
from worldsmith.avatars.body import Detail, body_parts, limbs
from worldsmith.avatars.geometry import Part, mirror, pack_weights, smooth_normals
from worldsmith.avatars.hair import STYLES, hair_parts
from worldsmith.avatars.head import BLEND_SHAPES, FaceShape, Head
from worldsmith.avatars.outfit import accessory_parts, garment_parts
from worldsmith.errors import Cancelled

BACKEND = "procedural"
BACKEND_VERSION = "1"
MATERIAL_ORDER = ("Skin", "Eyes", "Hair", "Outfit")

Progress = Callable[[str, int, int], None]


def create(
    request: avatar_pb2.CreateAvatarRequest,
    *,
    described: avatar_pb2.AvatarParameters | None = None,
    reader: str = "rules",
    reader_model: tuple[str, str] = ("", ""),
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    max_texture_size: int = 4096,
) -> avatar_pb2.AvatarResult:
    """Generate an avatar. `described` is what a model read from the description (None: the
    rule-based parser reads it), `reader` and `reader_model` say who read it, for the recipe;
    `progress(stage, step, total)` is told as each stage ends; `should_stop()` is polled between
    stages and stops the work (it returns True, or raises the reason itself)."""
    dna_module.validate(request, max_texture_size)
    ratios = lod_ratios(request.lods)
    stages = ["parameters", "skeleton", "texture"] + [f"lod{i}" for i in range(len(ratios))] + ["sidecars"]
    step = iter(range(1, len(stages) + 1))

    def done(stage: str) -> None:
        if progress is not None:
            progress(stage, next(step), len(stages))
        if should_stop is not None and should_stop():
            raise Cancelled("the avatar was cancelled after its " + stage + " stage")

    # 1. Every parameter, resolved: the DNA.
    if described is None:
        described = describe.parse(request.description) if request.description.strip() else avatar_pb2.AvatarParameters()
    dna = dna_module.resolve(request, described)
    params, seed = dna.parameters, dna.seed
    stream = lambda name: dna_module.stream(seed, name)  # noqa: E731
    done("parameters")

    # 2. Body measurements, face shape and the skeleton.
    proportions = skeleton.proportions(params, stream("shape"))
    head = Head(proportions, FaceShape.draw(stream("face")))
    body = limbs(proportions)
    rig = glb.Skeleton(skeleton.NAMES, skeleton.PARENTS, skeleton.joint_positions(proportions))
    done("skeleton")

    # 3. The texture atlas, shared by every LOD (smaller copies for the far ones).
    size = request.texture_size or catalogue.DEFAULT_TEXTURE_SIZE
    image = atlas.paint(size, _atlas_colors(params), head.paint_masks, stream)
    done("texture")

    # 4. One GLB per LOD.
    files: list[tuple[float, int, bytes]] = []
    for level, ratio in enumerate(ratios):
        parts = _parts(params, proportions, body, head, Detail(ratio), stream)
        primitives = _primitives(parts)
        texture = atlas.jpeg(image, max(catalogue.MIN_TEXTURE_SIZE, size >> level))
        triangles = sum(len(p.indices) for p in primitives)
        files.append((ratio, triangles, glb.write(rig, primitives, list(BLEND_SHAPES), texture)))
        done(f"lod{level}")

    # 5. Sidecars for Unity and VRM-aware tools.
    mesh_node = len(skeleton.NAMES)
    eye_height = float(head.center[1] + head.eye[1])
    result = avatar_pb2.AvatarResult(
        glb=files[0][2],
        lods=[avatar_pb2.AvatarLod(ratio=ratio, triangles=triangles, glb=data) for ratio, triangles, data in files[1:]],
        humanoid_json=sidecars.humanoid_json(rig, mesh_node, list(BLEND_SHAPES), eye_height),
        unity_human_description_json=sidecars.unity_human_description_json(rig, "Avatar"),
        dna=dna,
        recipe=_recipe(dna, ratios, size, reader if request.description.strip() else "", reader_model),
        blend_shapes=list(BLEND_SHAPES),
    )
    done("sidecars")
    return result


def lod_ratios(requested) -> list[float]:
    """LOD 0 is always the full mesh; further LODs follow, largest first."""
    ratios = [float(r) for r in requested] or list(catalogue.DEFAULT_LODS)
    return [1.0] + sorted({r for r in ratios if r < 1.0}, reverse=True)


def _atlas_colors(params: avatar_pb2.AvatarParameters) -> atlas.AtlasColors:
    return atlas.AtlasColors(
        skin=params.skin_tone, hair=params.hair_color, eyes=params.eye_color,
        outfit={piece.kind: piece.color for piece in params.outfit},
    )


def _parts(params: avatar_pb2.AvatarParameters, proportions, body, head: Head, detail: Detail, stream) -> list[Part]:
    """Every piece of the avatar at one tessellation."""
    parts = body_parts(body, detail)
    parts.append(head.part(detail))
    parts += head.eyes(detail)
    ears = head.ears(detail, pointed="elf_ears" in params.accessories)
    parts += ears + [mirror(ear) for ear in ears]
    parts += hair_parts(params.hair_style, head, proportions, detail, stream("hair"))
    for piece in params.outfit:
        parts += garment_parts(piece.kind, proportions, body, detail)
    hair_thickness = STYLES.get(params.hair_style, ((0, 0, 0), 0.0))[1]
    for name in params.accessories:
        parts += accessory_parts(name, head, proportions, body, hair_thickness, detail)
    return parts


def _primitives(parts: list[Part]) -> list[glb.Primitive]:
    """Parts merged per material, with atlas UVs, smooth normals, four packed influences and a
    full set of blend shapes (zero where a part does not move)."""
    primitives = []
    for material in MATERIAL_ORDER:
        group = [part for part in parts if part.material == material]
        if not group:
            continue
        positions = np.concatenate([part.positions for part in group])
        faces = np.concatenate([part.faces + offset for part, offset in zip(group, offsets_of(group))])
        uvs = np.concatenate([atlas.atlas_uv(part.tile, part.uvs) for part in group])
        joints, weights = pack_weights(np.concatenate([part.weights for part in group]))
        morphs = []
        for name in BLEND_SHAPES:
            moving, offsets = [np.zeros(0, np.int64)], [np.zeros((0, 3))]
            for part, offset in zip(group, offsets_of(group)):
                if name in part.morphs:
                    rows = np.flatnonzero(np.any(part.morphs[name] != 0.0, axis=1))
                    moving.append(rows + offset)
                    offsets.append(part.morphs[name][rows])
            morphs.append((np.concatenate(moving), np.concatenate(offsets)))
        primitives.append(glb.Primitive(
            material=material,
            positions=positions.astype(np.float32),
            normals=smooth_normals(positions, faces).astype(np.float32),
            uvs=uvs.astype(np.float32),
            joints=joints,
            weights=weights,
            indices=faces,
            morphs=morphs,
        ))
    return primitives


def offsets_of(parts: list[Part]) -> np.ndarray:
    """Where each part's vertices start once the parts are concatenated."""
    return np.cumsum([0] + [len(part.positions) for part in parts[:-1]])


def _recipe(dna: avatar_pb2.AvatarDna, ratios: list[float], size: int, reader: str, reader_model: tuple[str, str]) -> common_pb2.Recipe:
    """The DNA, LODs and atlas size fix the bytes, so they alone make the content hash; who read
    the description is recorded beside them."""
    parameters = {
        "dna": json_format.MessageToDict(dna),
        "lods": ratios,
        "texture_size": size,
    }
    canonical = json.dumps({"backend": BACKEND, "version": BACKEND_VERSION, **parameters}, sort_keys=True, separators=(",", ":"))
    if reader:
        parameters["description_reader"] = reader
    struct = struct_pb2.Struct()
    struct.update(parameters)
    return common_pb2.Recipe(
        seed=dna.seed, model_id=reader_model[0], model_revision=reader_model[1], backend=BACKEND,
        backend_version=BACKEND_VERSION, parameters=struct, content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )
