"""Turns each kind's result message into the files a game project keeps."""

from __future__ import annotations

import json

from google.protobuf import json_format

from worldsmith._proto.worldsmith.v1 import texture_pb2


def _json(message) -> bytes:
    return (json_format.MessageToJson(message, indent=2, sort_keys=True) + "\n").encode()


def texture_files(name: str, result) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for index, variation in enumerate(result.variations):
        stem = name if index == 0 else f"{name}_v{index}"
        for image in variation.images:
            map_name = texture_pb2.TextureMap.Name(image.map).removeprefix("TEXTURE_MAP_").lower()
            files[f"{stem}_{map_name}.png"] = image.png
        files[f"{stem}.recipe.json"] = _json(variation.recipe)
    return files


def scene_files(name: str, result) -> dict[str, bytes]:
    files = {f"{name}.glb": result.glb_preview} if result.glb_preview else {}
    if result.heightmap.resolution:
        files[f"{name}_height.png"] = result.heightmap.png16
        files[f"{name}_height.r32"] = result.heightmap.raw_float32
        files[f"{name}_splat.png"] = result.heightmap.splat_png
    described = type(result)()
    described.CopyFrom(result)
    described.ClearField("glb_preview")
    described.heightmap.ClearField("png16")
    described.heightmap.ClearField("raw_float32")
    described.heightmap.ClearField("splat_png")
    files[f"{name}.scene.json"] = _json(described)
    return files


def avatar_files(name: str, result) -> dict[str, bytes]:
    files = {f"{name}.glb": result.glb}
    # `glb` is LOD 0; `lods` holds the reduced levels.
    for index, lod in enumerate(result.lods, start=1):
        files[f"{name}_lod{index}.glb"] = lod.glb
    files[f"{name}.humanoid.json"] = result.humanoid_json.encode()
    files[f"{name}.unity_human.json"] = result.unity_human_description_json.encode()
    files[f"{name}.dna.json"] = _json(result.dna)
    return files


def barks_files(name: str, lines: dict[str, list[str]]) -> dict[str, bytes]:
    return {f"{name}.barks.json": (json.dumps(lines, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()}


WRITERS = {"texture": texture_files, "scene": scene_files, "avatar": avatar_files}
