"""The avatar pipeline: request -> DNA -> skeleton -> atlas (design) -> one GLB per LOD -> sidecars (build).

`create()` is the whole generator, usable without the server (CLI, build systems). Every LOD
is built from the same parametric description at its own tessellation, so each keeps the
skeleton, the skin weights, the UV layout and the blend shapes of the full avatar.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
from google.protobuf import json_format, struct_pb2

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import atlas, catalogue, describe, dna as dna_module, glb, sidecars, skeleton
from worldsmith.avatars.body import Detail, Limb, body_parts, limbs
from worldsmith.avatars.facial_hair import facial_hair_parts
from worldsmith.avatars.geometry import Part, mirror, pack_weights, smooth_normals
from worldsmith.avatars.hair import STYLES, hair_parts
from worldsmith.avatars.head import BLEND_SHAPES, FaceShape, Head
from worldsmith.avatars.outfit import accessory_parts, garment_parts
from worldsmith.errors import Cancelled

BACKEND = "procedural"
BACKEND_VERSION = "2"
MATERIAL_ORDER = ("Skin", "Eyes", "Hair", "Outfit")

Progress = Callable[[str, int, int], None]


class Stages:
    """Numbers the stages for progress events and stops the work between them."""

    def __init__(self, names: list[str], progress: Progress | None, should_stop: Callable[[], bool] | None):
        self.names = names
        self.progress = progress
        self.should_stop = should_stop

    def done(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.names.index(stage) + 1, len(self.names))
        if self.should_stop is not None and self.should_stop():
            raise Cancelled(f"the avatar was cancelled after its {stage} stage")


def stage_names(request: avatar_pb2.CreateAvatarRequest, texture_model: bool = False) -> list[str]:
    lods = [f"lod{i}" for i in range(len(lod_ratios(request.lods)))]
    return ["parameters", "skeleton", "texture"] + (["texture-model"] if texture_model else []) + lods + ["sidecars"]


@dataclass
class Design:
    """Everything decided before any mesh is built: the DNA, the body, the face and the atlas."""

    request: avatar_pb2.CreateAvatarRequest
    dna: avatar_pb2.AvatarDna
    proportions: skeleton.Proportions
    head: Head
    body: dict[str, Limb]
    atlas: np.ndarray  # sRGB bytes, size x size x 3
    reader: str
    reader_model: tuple[str, str]

    def stream(self, name: str) -> np.random.Generator:
        return dna_module.stream(self.dna.seed, name)


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
    stages = Stages(stage_names(request), progress, should_stop)
    return build(design(request, stages, described=described, reader=reader, reader_model=reader_model), stages)


def design(request: avatar_pb2.CreateAvatarRequest, stages: Stages, *, described: avatar_pb2.AvatarParameters | None = None,
           reader: str = "rules", reader_model: tuple[str, str] = ("", "")) -> Design:
    """Stages parameters, skeleton and texture, for a request `dna.validate` accepted."""
    # 1. Every parameter, resolved: the DNA.
    if described is None:
        described = describe.parse(request.description) if request.description.strip() else avatar_pb2.AvatarParameters()
    dna = dna_module.resolve(request, described)
    stream = lambda name: dna_module.stream(dna.seed, name)  # noqa: E731
    stages.done("parameters")

    # 2. Body measurements and face shape (the skeleton follows from them).
    proportions = skeleton.proportions(dna.parameters, stream("shape"))
    head = Head(proportions, FaceShape.draw(stream("face")))
    body = limbs(proportions)
    stages.done("skeleton")

    # 3. The texture atlas, shared by every LOD (smaller copies for the far ones).
    size = request.texture_size or catalogue.DEFAULT_TEXTURE_SIZE
    image = atlas.paint(size, _atlas_colors(dna.parameters), head.paint_masks, stream)
    stages.done("texture")
    return Design(request, dna, proportions, head, body, image, reader if request.description.strip() else "", reader_model)


def build(design: Design, stages: Stages, texture_model: tuple[str, str] = ("", "")) -> avatar_pb2.AvatarResult:
    """Stages lod0.. and sidecars: the GLBs and their mapping files. `texture_model` names the
    diffusion model that painted part of the atlas, if one did."""
    params = design.dna.parameters
    ratios = lod_ratios(design.request.lods)
    size = design.atlas.shape[0]
    rig = glb.Skeleton(skeleton.NAMES, skeleton.PARENTS, skeleton.joint_positions(design.proportions))

    # 4. One GLB per LOD.
    files: list[tuple[float, int, bytes]] = []
    for level, ratio in enumerate(ratios):
        parts = _parts(params, design.proportions, design.body, design.head, Detail(ratio), design.stream)
        primitives = _primitives(parts)
        texture = atlas.jpeg(design.atlas, max(catalogue.MIN_TEXTURE_SIZE, size >> level))
        triangles = sum(len(p.indices) for p in primitives)
        files.append((ratio, triangles, glb.write(rig, primitives, list(BLEND_SHAPES), texture)))
        stages.done(f"lod{level}")

    # 5. Sidecars for Unity and VRM-aware tools.
    mesh_node = len(skeleton.NAMES)
    eye_height = float(design.head.center[1] + design.head.eye[1])
    result = avatar_pb2.AvatarResult(
        glb=files[0][2],
        lods=[avatar_pb2.AvatarLod(ratio=ratio, triangles=triangles, glb=data) for ratio, triangles, data in files[1:]],
        humanoid_json=sidecars.humanoid_json(rig, mesh_node, list(BLEND_SHAPES), eye_height),
        unity_human_description_json=sidecars.unity_human_description_json(rig, "Avatar"),
        dna=design.dna,
        recipe=_recipe(design, ratios, size, texture_model),
        blend_shapes=list(BLEND_SHAPES),
    )
    stages.done("sidecars")
    return result


def lod_ratios(requested) -> list[float]:
    """LOD 0 is always the full mesh; further LODs follow, largest first."""
    ratios = [float(r) for r in requested] or list(catalogue.DEFAULT_LODS)
    return [1.0] + sorted({r for r in ratios if r < 1.0}, reverse=True)


def _atlas_colors(params: avatar_pb2.AvatarParameters) -> atlas.AtlasColors:
    return atlas.AtlasColors(
        skin=params.skin_tone, hair=params.hair_color, eyes=params.eye_color, beard=params.facial_hair_color,
        outfit={piece.kind: piece.color for piece in params.outfit},
    )


def _parts(params: avatar_pb2.AvatarParameters, proportions, body, head: Head, detail: Detail, stream) -> list[Part]:
    """Every piece of the avatar at one tessellation."""
    parts = body_parts(body, detail)
    parts.append(head.part(detail))
    parts += head.eyes(detail)
    ears = head.ears(detail, pointed="elf_ears" in params.accessories or params.body_plan == "elf")
    parts += ears + [mirror(ear) for ear in ears]
    parts += hair_parts(params.hair_style, head, proportions, detail, stream("hair"))
    parts += facial_hair_parts(params.beard_style, params.moustache_style, head, detail)
    kinds = {piece.kind for piece in params.outfit}
    for piece in params.outfit:
        if piece.kind not in hidden_by(kinds):
            parts += garment_parts(piece.kind, proportions, body, detail)
    hair_thickness = STYLES.get(params.hair_style, ((0, 0, 0), 0.0))[1]
    for name in params.accessories:
        parts += accessory_parts(name, head, proportions, body, hair_thickness, detail)
    return parts


def hidden_by(kinds: set[str]) -> set[str]:
    """Garments the others cover entirely, which are not built: what is worn on the legs under a
    robe, a dress or a gown."""
    return {"trousers", "shorts", "skirt"} if kinds & {"robe", "dress", "gown"} else set()


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


def _recipe(design: Design, ratios: list[float], size: int, texture_model: tuple[str, str]) -> common_pb2.Recipe:
    """The DNA, LODs, atlas size and any texture model fix the bytes, so they make the content
    hash; who read the description is recorded beside them."""
    parameters = {
        "dna": json_format.MessageToDict(design.dna),
        "lods": ratios,
        "texture_size": size,
    }
    if texture_model[0]:
        parameters["texture_model"] = {"id": texture_model[0], "revision": texture_model[1]}
    canonical = json.dumps({"backend": BACKEND, "version": BACKEND_VERSION, **parameters}, sort_keys=True, separators=(",", ":"))
    if design.reader:
        parameters["description_reader"] = design.reader
    struct = struct_pb2.Struct()
    struct.update(parameters)
    return common_pb2.Recipe(
        seed=design.dna.seed, model_id=design.reader_model[0], model_revision=design.reader_model[1], backend=BACKEND,
        backend_version=BACKEND_VERSION, parameters=struct, content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )
