"""The skeleton: Godot SkeletonProfileHumanoid names and hierarchy, identity rests, correct inverse binds."""

from __future__ import annotations

import numpy as np

from worldsmith.avatars import skeleton

# SkeletonProfileHumanoid's 56 bones and parents, as Godot defines them.
GODOT_PROFILE_PARENTS = {
    "Hips": "Root", "Spine": "Hips", "Chest": "Spine", "UpperChest": "Chest", "Neck": "UpperChest", "Head": "Neck",
    "LeftEye": "Head", "RightEye": "Head", "Jaw": "Head", "LeftShoulder": "UpperChest", "LeftUpperArm": "LeftShoulder",
    "LeftLowerArm": "LeftUpperArm", "LeftHand": "LeftLowerArm", "LeftThumbMetacarpal": "LeftHand",
    "LeftThumbProximal": "LeftThumbMetacarpal", "LeftThumbDistal": "LeftThumbProximal", "LeftIndexProximal": "LeftHand",
    "LeftIndexIntermediate": "LeftIndexProximal", "LeftIndexDistal": "LeftIndexIntermediate", "LeftMiddleProximal": "LeftHand",
    "LeftLittleProximal": "LeftHand", "LeftLittleDistal": "LeftLittleIntermediate", "LeftUpperLeg": "Hips",
    "LeftLowerLeg": "LeftUpperLeg", "LeftFoot": "LeftLowerLeg", "LeftToes": "LeftFoot", "RightShoulder": "UpperChest",
    "RightHand": "RightLowerArm", "RightRingDistal": "RightRingIntermediate", "RightToes": "RightFoot",
}


def test_bones_follow_the_godot_humanoid_profile(ranger_glb):
    names = ranger_glb.node_names
    assert names[:56] == list(skeleton.NAMES) and len(skeleton.NAMES) == 56
    nodes = ranger_glb.gltf.nodes
    parent_of = {nodes[child].name: node.name for node in nodes for child in node.children}
    for bone, parent in GODOT_PROFILE_PARENTS.items():
        assert parent_of[bone] == parent
    assert "Root" not in parent_of
    skin = ranger_glb.gltf.skins[0]
    assert [names[j] for j in skin.joints] == list(skeleton.NAMES)
    assert names[skin.skeleton] == "Root"
    for bone in skeleton.REQUIRED:
        assert bone in names


def test_rest_pose_is_a_t_pose_with_identity_rotations(ranger_glb):
    for node in ranger_glb.gltf.nodes:
        assert node.rotation in (None, [0, 0, 0, 1]) and node.scale in (None, [1, 1, 1]) and node.matrix is None
    world = ranger_glb.joint_world()
    assert np.allclose(world["Root"], 0)
    # Arms straight out along X at shoulder height, the left arm at +X.
    for side, sign in (("Left", 1), ("Right", -1)):
        shoulder, elbow, hand = (world[f"{side}{b}"] for b in ("UpperArm", "LowerArm", "Hand"))
        assert sign * (elbow[0] - shoulder[0]) > 0.2 and sign * (hand[0] - elbow[0]) > 0.2
        assert abs(hand[1] - shoulder[1]) < 1e-6 and abs(hand[2] - shoulder[2]) < 1e-6
        assert world[f"{side}Foot"][1] < world[f"{side}LowerLeg"][1] < world[f"{side}UpperLeg"][1] < world["Hips"][1]
        assert world[f"{side}Toes"][2] > world[f"{side}Foot"][2]  # toes point forward (+Z)
    assert world["Hips"][1] < world["Spine"][1] < world["Chest"][1] < world["UpperChest"][1] < world["Neck"][1] < world["Head"][1]


def test_inverse_bind_matrices_undo_each_joint(ranger_glb):
    skin = ranger_glb.gltf.skins[0]
    inverse_bind = ranger_glb.accessor(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)  # column-major
    world = ranger_glb.joint_world()
    for matrix, joint in zip(inverse_bind, skin.joints):
        bind = np.eye(4)
        bind[:3, 3] = world[ranger_glb.node_names[joint]]
        assert np.allclose(matrix @ bind, np.eye(4), atol=1e-5)
