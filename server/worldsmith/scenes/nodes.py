"""Scene-graph nodes: a box with its pivot at the bottom centre, turned about +Y (Y up, metres)."""

from __future__ import annotations

import math

from worldsmith._proto.worldsmith.v1 import common_pb2, scene_pb2

# Every node's `properties.size` is its box before rotation; its transform puts the box's bottom
# centre at `position` and turns it about +Y. An engine maps `tag` to its own prefab.


def box_node(node_id: str, tag: str, position: tuple[float, float, float], size: tuple[float, float, float],
             yaw: float = 0.0, parent_id: str = "", properties: dict | None = None) -> scene_pb2.SceneNode:
    """A node whose box of `size` stands on `position`, turned `yaw` radians about +Y (front +Z)."""
    x, y, z = position
    sx, sy, sz = size
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    half_x, half_z = (c * sx + s * sz) / 2, (s * sx + c * sz) / 2
    node = scene_pb2.SceneNode(
        id=node_id, tag=tag, parent_id=parent_id,
        transform=scene_pb2.Transform(
            position=common_pb2.Vec3(x=x, y=y, z=z),
            rotation=common_pb2.Quaternion(x=0.0, y=math.sin(yaw / 2), z=0.0, w=math.cos(yaw / 2)),
            scale=common_pb2.Vec3(x=1.0, y=1.0, z=1.0),
        ),
        bounds_min=common_pb2.Vec3(x=x - half_x, y=y, z=z - half_z),
        bounds_max=common_pb2.Vec3(x=x + half_x, y=y + sy, z=z + half_z),
    )
    node.properties.update({"size": [sx, sy, sz], **(properties or {})})
    return node


def group_node(node_id: str, tag: str, bounds_min: tuple[float, float, float], bounds_max: tuple[float, float, float],
               parent_id: str = "", properties: dict | None = None) -> scene_pb2.SceneNode:
    """A node that only groups others (a room, a cave): identity transform at its bottom centre."""
    centre = ((bounds_min[0] + bounds_max[0]) / 2, bounds_min[1], (bounds_min[2] + bounds_max[2]) / 2)
    size = tuple(hi - lo for lo, hi in zip(bounds_min, bounds_max))
    node = box_node(node_id, tag, centre, size, parent_id=parent_id, properties=properties)
    node.properties["group"] = True
    return node


def quarter_turn_yaw(quarter_turns: int) -> float:
    return (quarter_turns % 4) * math.pi / 2
