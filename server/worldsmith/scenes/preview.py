"""The GLB preview: one shared box per tag, one glTF node per scene node, and the terrain mesh."""

from __future__ import annotations

import hashlib

import numpy as np
import trimesh

from worldsmith._proto.worldsmith.v1 import scene_pb2
from worldsmith.scenes.quality import yaw_of

# One material per tag, named after it, so any viewer shows the layout in colour (sRGB bytes).
TAG_COLOURS = {
    "floor": (150, 140, 125), "wall": (205, 200, 190), "door": (120, 80, 45), "window": (140, 190, 230),
    "corridor": (120, 115, 105), "water": (60, 110, 200),
    "table": (150, 100, 55), "chair": (185, 135, 80), "bar_counter": (110, 60, 35), "stool": (200, 150, 95),
    "bed": (170, 60, 60), "wardrobe": (95, 70, 50), "shelf": (125, 90, 60), "chest": (160, 120, 40),
    "fireplace": (90, 85, 80), "counter": (140, 110, 80), "stove": (60, 60, 65), "display_case": (170, 200, 210),
    "altar": (230, 225, 210), "pew": (135, 95, 60), "rug": (150, 40, 50),
    "wall_lamp": (255, 210, 90), "chandelier": (255, 225, 120), "table_lamp": (255, 200, 80), "torch": (255, 140, 40),
    "crate": (175, 140, 90), "barrel": (130, 85, 50), "brazier": (220, 90, 30), "pillar": (150, 150, 155),
    "bones": (235, 230, 205), "tree": (50, 120, 50), "bush": (80, 150, 60), "rock": (125, 125, 125),
}
WATER_COLOUR = (*TAG_COLOURS["water"], 255)
# The floor has no thickness; the preview gives it this much, below y = 0.
FLOOR_PREVIEW_THICKNESS = 0.02


def tag_colour(tag: str) -> tuple[int, int, int]:
    """The tag's colour: a fixed one for known tags, else one drawn from the tag's hash."""
    if tag in TAG_COLOURS:
        return TAG_COLOURS[tag]
    digest = hashlib.sha256(tag.encode()).digest()
    return (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)


def _unit_box(tag: str) -> trimesh.Trimesh:
    """A 1 m box standing on y = 0, so a node's transform scales it to size, with the tag's material."""
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    box.apply_translation((0.0, 0.5, 0.0))
    box.unmerge_vertices()  # each face its own corners, so its normals are flat and viewers light it
    colour = [c / 255 for c in tag_colour(tag)] + [1.0]
    box.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        name=tag, baseColorFactor=colour, metallicFactor=0.0, roughnessFactor=0.9))
    return box


def _matrix(node: scene_pb2.SceneNode) -> np.ndarray:
    sx, sy, sz = node.properties["size"]
    y_offset = 0.0
    if sy <= 0:  # the floor
        sy, y_offset = FLOOR_PREVIEW_THICKNESS, -FLOOR_PREVIEW_THICKNESS
    p = node.transform.position
    turn = trimesh.transformations.rotation_matrix(yaw_of(node), (0.0, 1.0, 0.0))
    turn[:3, 3] = (p.x, p.y + y_offset, p.z)
    return turn @ np.diag([sx, sy, sz, 1.0])


def terrain_mesh(heights: np.ndarray, cell: float, origin: tuple[float, float], splat: np.ndarray,
                 wet: np.ndarray | None = None, max_side: int = 257):
    """Vertices, faces and vertex colours of a heightmap, thinned to at most `max_side` samples a side;
    water samples are blue."""
    stride = max(1, int(np.ceil((heights.shape[0] - 1) / (max_side - 1))))
    rows = np.unique(np.r_[np.arange(0, heights.shape[0], stride), heights.shape[0] - 1])
    h = heights[np.ix_(rows, rows)]
    n = len(rows)
    xs = origin[0] + rows * cell
    zs = origin[1] + rows * cell
    gx, gz = np.meshgrid(xs, zs)
    vertices = np.stack([gx.ravel(), h.ravel(), gz.ravel()], axis=1)
    i = np.arange(n - 1)[:, None] * n + np.arange(n - 1)[None, :]
    i = i.ravel()
    # Counter-clockwise seen from above (+Y), so normals point up.
    faces = np.concatenate([np.stack([i, i + n, i + 1], 1), np.stack([i + 1, i + n, i + n + 1], 1)])
    palette = np.array([[96, 140, 60], [120, 115, 110], [200, 185, 140], [245, 245, 250]], float)
    weights = splat[np.ix_(rows, rows)].reshape(-1, 4).astype(float) / 255.0
    colours = np.clip(weights @ palette, 0, 255).astype(np.uint8)
    if wet is not None:
        colours[wet[np.ix_(rows, rows)].ravel()] = WATER_COLOUR[:3]
    return vertices, faces, np.concatenate([colours, np.full((len(colours), 1), 255, np.uint8)], axis=1)


def render_glb(nodes: list[scene_pb2.SceneNode], terrain: tuple | None = None) -> bytes:
    """A GLB any glTF viewer opens: node names are the scene-graph ids."""
    scene = trimesh.Scene()
    if terrain is not None:
        vertices, faces, colours = terrain
        scene.add_geometry(trimesh.Trimesh(vertices, faces, vertex_colors=colours, process=False),
                           geom_name="terrain-mesh", node_name="terrain-mesh")
    boxes: set[str] = set()
    for node in nodes:
        if "group" in node.properties or node.tag in ("terrain", "water"):
            continue
        geometry = f"box-{node.tag}"
        if geometry not in boxes:
            scene.add_geometry(_unit_box(node.tag), geom_name=geometry, node_name=node.id, transform=_matrix(node))
            boxes.add(geometry)
        else:
            scene.graph.update(frame_to=node.id, frame_from=scene.graph.base_frame, matrix=_matrix(node), geometry=geometry)
    return scene.export(file_type="glb", include_normals=True)
