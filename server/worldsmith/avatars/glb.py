"""Writing a skinned, morphing glTF binary with pygltflib (trimesh cannot write skins).

Layout: the skeleton under a "Root" node, a sibling "Avatar" node carrying the mesh and the
skin, one primitive per material, all sampling one atlas texture. Blend shapes are sparse
accessors (only the face moves), named in `mesh.extras.targetNames`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pygltflib as gl

MATERIALS = {  # name: (roughness, metallic)
    "Skin": (0.6, 0.0),
    "Eyes": (0.15, 0.0),
    "Hair": (0.75, 0.0),
    "Outfit": (0.85, 0.0),
}


@dataclass
class Primitive:
    material: str
    positions: np.ndarray  # (n, 3) float32
    normals: np.ndarray  # (n, 3) float32
    uvs: np.ndarray  # (n, 2) float32, atlas
    joints: np.ndarray  # (n, 4) uint8
    weights: np.ndarray  # (n, 4) float32
    indices: np.ndarray  # (m, 3)
    morphs: list[tuple[np.ndarray, np.ndarray]]  # per blend shape: moving vertex indices, their offsets


@dataclass
class Skeleton:
    names: tuple[str, ...]
    parents: tuple[int, ...]  # -1 for the root
    positions: np.ndarray  # (bones, 3) world


class _Buffer:
    """One binary buffer with 4-byte aligned views."""

    def __init__(self, gltf: gl.GLTF2):
        self.gltf = gltf
        self.chunks: list[bytes] = []
        self.length = 0

    def view(self, data: bytes, target: int | None = None) -> int:
        pad = -self.length % 4
        if pad:
            self.chunks.append(b"\0" * pad)
            self.length += pad
        self.gltf.bufferViews.append(gl.BufferView(buffer=0, byteOffset=self.length, byteLength=len(data), target=target))
        self.chunks.append(data)
        self.length += len(data)
        return len(self.gltf.bufferViews) - 1

    def accessor(self, array: np.ndarray, kind: str, component: int, target: int | None = None, bounds: bool = False,
                 normalized: bool = False) -> int:
        view = self.view(np.ascontiguousarray(array).tobytes(), target)
        accessor = gl.Accessor(bufferView=view, componentType=component, count=len(array), type=kind, normalized=normalized or None)
        if bounds:
            accessor.min = [float(v) for v in array.min(axis=0)]
            accessor.max = [float(v) for v in array.max(axis=0)]
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def morph(self, count: int, moving: np.ndarray, offsets: np.ndarray) -> int:
        """A blend shape's POSITION accessor: zeros, with `offsets` for the `moving` vertices
        stored sparsely (ascending indices)."""
        values = offsets.astype(np.float32).reshape(-1, 3)
        bounds = np.concatenate([values, np.zeros((1 if len(moving) < count else 0, 3), np.float32)])
        accessor = gl.Accessor(componentType=gl.FLOAT, count=count, type=gl.VEC3, byteOffset=None,
                               min=[float(v) for v in bounds.min(axis=0)], max=[float(v) for v in bounds.max(axis=0)])
        if len(moving):
            small = count < 65536
            indices = moving.astype(np.uint16 if small else np.uint32)
            accessor.sparse = gl.Sparse(
                count=len(moving),
                indices=gl.AccessorSparseIndices(bufferView=self.view(indices.tobytes()), componentType=gl.UNSIGNED_SHORT if small else gl.UNSIGNED_INT),
                values=gl.AccessorSparseValues(bufferView=self.view(values.tobytes())),
            )
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def blob(self) -> bytes:
        return b"".join(self.chunks)


def write(skeleton: Skeleton, primitives: list[Primitive], target_names: list[str], texture_jpeg: bytes) -> bytes:
    """The GLB bytes. Deterministic: same inputs, same bytes."""
    gltf = gl.GLTF2(asset=gl.Asset(version="2.0", generator="worldsmith avatars"))
    buffer = _Buffer(gltf)

    # Skeleton: identity rotations, translations from the parent (VRM 1.0 T-pose rules).
    for i, (name, parent) in enumerate(zip(skeleton.names, skeleton.parents)):
        local = skeleton.positions[i] - (skeleton.positions[parent] if parent >= 0 else 0.0)
        node = gl.Node(name=name, children=[c for c, p in enumerate(skeleton.parents) if p == i])
        if np.any(local != 0.0):
            node.translation = [float(v) for v in local]
        gltf.nodes.append(node)
    mesh_node = len(gltf.nodes)
    gltf.nodes.append(gl.Node(name="Avatar", mesh=0, skin=0))
    gltf.scenes.append(gl.Scene(name="Avatar", nodes=[0, mesh_node]))
    gltf.scene = 0

    inverse_bind = np.zeros((len(skeleton.names), 4, 4), dtype=np.float32)
    inverse_bind[:] = np.eye(4, dtype=np.float32)
    inverse_bind[:, 3, :3] = -skeleton.positions  # column-major: the translation is the 4th column
    gltf.skins.append(gl.Skin(name="Humanoid", joints=list(range(len(skeleton.names))), skeleton=0,
                              inverseBindMatrices=buffer.accessor(inverse_bind.reshape(-1, 16), gl.MAT4, gl.FLOAT)))

    gltf.samplers.append(gl.Sampler(magFilter=gl.LINEAR, minFilter=gl.LINEAR_MIPMAP_LINEAR, wrapS=gl.CLAMP_TO_EDGE, wrapT=gl.CLAMP_TO_EDGE))
    gltf.images.append(gl.Image(name="atlas", mimeType="image/jpeg", bufferView=buffer.view(texture_jpeg)))
    gltf.textures.append(gl.Texture(sampler=0, source=0))

    mesh = gl.Mesh(name="Avatar", extras={"targetNames": list(target_names)})
    for primitive in primitives:
        roughness, metallic = MATERIALS[primitive.material]
        gltf.materials.append(gl.Material(
            name=primitive.material,
            pbrMetallicRoughness=gl.PbrMetallicRoughness(baseColorTexture=gl.TextureInfo(index=0), metallicFactor=metallic, roughnessFactor=roughness),
        ))
        count = len(primitive.positions)
        index_type = (np.uint16, gl.UNSIGNED_SHORT) if count < 65536 else (np.uint32, gl.UNSIGNED_INT)
        attributes = gl.Attributes(
            POSITION=buffer.accessor(primitive.positions, gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER, bounds=True),
            NORMAL=buffer.accessor(primitive.normals, gl.VEC3, gl.FLOAT, gl.ARRAY_BUFFER),
            TEXCOORD_0=buffer.accessor(primitive.uvs, gl.VEC2, gl.FLOAT, gl.ARRAY_BUFFER),
            JOINTS_0=buffer.accessor(primitive.joints, gl.VEC4, gl.UNSIGNED_BYTE, gl.ARRAY_BUFFER),
            WEIGHTS_0=buffer.accessor(primitive.weights, gl.VEC4, gl.FLOAT, gl.ARRAY_BUFFER),
        )
        indices = buffer.accessor(primitive.indices.reshape(-1).astype(index_type[0]), gl.SCALAR, index_type[1], gl.ELEMENT_ARRAY_BUFFER)
        targets = [gl.Attributes(POSITION=buffer.morph(count, moving, offsets)) for moving, offsets in primitive.morphs]
        mesh.primitives.append(gl.Primitive(attributes=attributes, indices=indices, material=len(gltf.materials) - 1, targets=targets))
    gltf.meshes.append(mesh)

    blob = buffer.blob()
    gltf.buffers.append(gl.Buffer(byteLength=len(blob)))
    gltf.set_binary_blob(blob)
    return b"".join(gltf.save_to_bytes())
