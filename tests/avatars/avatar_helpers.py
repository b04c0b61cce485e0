"""Avatars test helpers: reading GLBs back, running the Khronos glTF validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from harness import REPO
from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import create

HERE = Path(__file__).resolve().parent
VALIDATOR = REPO / ".tools" / "node_modules" / "gltf-validator"

_TYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class Glb:
    """A GLB read back with pygltflib, with accessors decoded (sparse included)."""

    def __init__(self, data: bytes):
        self.data = data
        self.gltf = pygltflib.GLTF2.load_from_bytes(data)
        self.blob = self.gltf.binary_blob()

    def accessor(self, index: int) -> np.ndarray:
        accessor = self.gltf.accessors[index]
        dtype, width = _TYPES[accessor.componentType], _WIDTH[accessor.type]
        if accessor.bufferView is None:
            values = np.zeros((accessor.count, width), dtype)
        else:
            view = self.gltf.bufferViews[accessor.bufferView]
            offset = view.byteOffset + (accessor.byteOffset or 0)
            values = np.frombuffer(self.blob, dtype, accessor.count * width, offset).reshape(accessor.count, width).copy()
        if accessor.sparse is not None:
            sparse = accessor.sparse
            index_view = self.gltf.bufferViews[sparse.indices.bufferView]
            value_view = self.gltf.bufferViews[sparse.values.bufferView]
            indices = np.frombuffer(self.blob, _TYPES[sparse.indices.componentType], sparse.count, index_view.byteOffset)
            values[indices] = np.frombuffer(self.blob, dtype, sparse.count * width, value_view.byteOffset).reshape(sparse.count, width)
        return values

    @property
    def mesh(self) -> pygltflib.Mesh:
        return self.gltf.meshes[0]

    @property
    def node_names(self) -> list[str]:
        return [node.name for node in self.gltf.nodes]

    def primitive(self, material: str) -> pygltflib.Primitive:
        for primitive in self.mesh.primitives:
            if self.gltf.materials[primitive.material].name == material:
                return primitive
        raise KeyError(material)

    def attribute(self, primitive: pygltflib.Primitive, name: str) -> np.ndarray:
        return self.accessor(getattr(primitive.attributes, name))

    def positions(self) -> np.ndarray:
        return np.concatenate([self.attribute(p, "POSITION") for p in self.mesh.primitives])

    def triangles(self) -> int:
        return sum(self.gltf.accessors[p.indices].count // 3 for p in self.mesh.primitives)

    def morph(self, primitive: pygltflib.Primitive, name: str) -> np.ndarray:
        target = primitive.targets[self.mesh.extras["targetNames"].index(name)]
        return self.accessor(target["POSITION"] if isinstance(target, dict) else target.POSITION)

    def joint_world(self) -> dict[str, np.ndarray]:
        """World position of every node, from the translations down the hierarchy."""
        nodes = self.gltf.nodes
        parent = {child: i for i, node in enumerate(nodes) for child in node.children}
        world = {}
        for i, node in enumerate(nodes):
            position, j = np.zeros(3), i
            while j is not None:
                position += np.array(nodes[j].translation or [0.0, 0.0, 0.0])
                j = parent.get(j)
            world[node.name] = position
        return world


def make(description: str = "", seed: int = 0, **fields) -> avatar_pb2.AvatarResult:
    return create(avatar_pb2.CreateAvatarRequest(description=description, seed=seed, **fields))


def validate(paths: list[Path]) -> list[dict]:
    """Khronos glTF validator reports, one per file."""
    node = shutil.which("node")
    if node is None or not VALIDATOR.exists():
        pytest.skip(f"the Khronos glTF validator is not installed at {VALIDATOR} (run `make tools`)")
    run = subprocess.run([node, str(HERE / "validate_gltf.mjs"), str(VALIDATOR), *map(str, paths)],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout)
