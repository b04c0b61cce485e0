"""What a user sees of the mesh: standing on Y=0, the asked height, facing +Z, valid skin weights."""

from __future__ import annotations

import numpy as np
import trimesh

from worldsmith._proto.worldsmith.v1 import avatar_pb2
from worldsmith.avatars import catalogue

from avatar_helpers import Glb, make


def test_feet_on_the_ground_and_the_requested_height():
    for height in (1.2, 1.75, 2.1):
        result = make(seed=3, parameters=avatar_pb2.AvatarParameters(height_m=height, hair_style="bald"))
        positions = Glb(result.glb).positions()
        assert positions[:, 1].min() == 0.0
        assert abs(positions[:, 1].max() - height) < 1e-4
        assert abs(result.dna.parameters.height_m - height) < 1e-6
    # Hair adds a little on top: at most about 1% of the stature, whatever the style.
    for style in catalogue.HAIR_STYLES:
        for height in (1.0, 1.8, 2.4):
            parameters = avatar_pb2.AvatarParameters(height_m=height, hair_style=style)
            positions = Glb(make(seed=3, parameters=parameters, lods=[1.0], texture_size=64).glb).positions()
            assert height <= positions[:, 1].max() <= height * 1.012, (style, height)
            assert positions[:, 1].min() == 0.0


def test_faces_plus_z_with_the_left_hand_at_plus_x(ranger_glb):
    skin = ranger_glb.primitive("Skin")
    positions = ranger_glb.attribute(skin, "POSITION")
    head = positions[positions[:, 1] > positions[:, 1].max() - 0.25]
    nose = head[np.argmax(head[:, 2])]
    assert abs(nose[0]) < 0.01  # the nose tip is on the midline, in front
    eyes = ranger_glb.attribute(ranger_glb.primitive("Eyes"), "POSITION")
    assert eyes[:, 2].mean() > 0
    joints, weights = ranger_glb.attribute(skin, "JOINTS_0"), ranger_glb.attribute(skin, "WEIGHTS_0")
    names = ranger_glb.node_names
    fingertip = np.argmax(positions[:, 0])
    assert names[joints[fingertip][np.argmax(weights[fingertip])]].startswith("Left")


def test_skin_weights_are_valid(ranger_glb):
    for primitive in ranger_glb.mesh.primitives:
        assert ranger_glb.gltf.accessors[primitive.attributes.JOINTS_0].componentType in (5121, 5123)  # unsigned byte/short
        weights = ranger_glb.attribute(primitive, "WEIGHTS_0").astype(np.float64)
        joints = ranger_glb.attribute(primitive, "JOINTS_0")
        assert weights.shape[1] == 4 and joints.shape[1] == 4
        assert np.all(weights >= 0) and np.allclose(weights.sum(axis=1), 1.0, atol=1e-6)
        assert np.all(joints[weights == 0] == 0)
        assert joints.max() < 56


def test_weights_follow_the_body(ranger_glb):
    """Vertices belong to the bone under them: the head to Head, the feet to the feet."""
    skin = ranger_glb.primitive("Skin")
    positions = ranger_glb.attribute(skin, "POSITION")
    joints, weights = ranger_glb.attribute(skin, "JOINTS_0"), ranger_glb.attribute(skin, "WEIGHTS_0")
    names = ranger_glb.node_names
    main = [names[j[np.argmax(w)]] for j, w in zip(joints, weights)]
    top = int(np.argmax(positions[:, 1]))
    assert main[top] == "Head"
    left_sole = np.flatnonzero((positions[:, 1] == 0) & (positions[:, 0] > 0))
    assert {main[i] for i in left_sole} <= {"LeftFoot", "LeftToes"}
    left_knee = np.flatnonzero((np.abs(positions[:, 1] - ranger_glb.joint_world()["LeftLowerLeg"][1]) < 0.01) & (positions[:, 0] > 0.05))
    assert {main[i] for i in left_knee} <= {"LeftUpperLeg", "LeftLowerLeg"}


def test_trimesh_loads_the_glb(ranger):
    scene = trimesh.load(trimesh.util.wrap_as_stream(ranger.glb), file_type="glb")
    assert len(scene.geometry) >= 3
    bounds = scene.bounds
    height = ranger.dna.parameters.height_m
    assert bounds[0][1] >= -1e-6 and height < bounds[1][1] < height * 1.012
