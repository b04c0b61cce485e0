"""Mapping sidecars: a VRM 1.0 humanoid map and a Unity HumanDescription, consistent with the GLB."""

from __future__ import annotations

import json

from worldsmith.avatars import skeleton

VRM_REQUIRED = ("hips", "spine", "head", "leftUpperArm", "leftLowerArm", "leftHand", "rightUpperArm", "rightLowerArm",
                "rightHand", "leftUpperLeg", "leftLowerLeg", "leftFoot", "rightUpperLeg", "rightLowerLeg", "rightFoot")
UNITY_REQUIRED = ("Hips", "Spine", "Head", "LeftUpperArm", "LeftLowerArm", "LeftHand", "RightUpperArm", "RightLowerArm",
                  "RightHand", "LeftUpperLeg", "LeftLowerLeg", "LeftFoot", "RightUpperLeg", "RightLowerLeg", "RightFoot")


def test_vrm_humanoid_map_points_at_the_right_nodes(ranger, ranger_glb):
    humanoid = json.loads(ranger.humanoid_json)
    bones = humanoid["humanoid"]["humanBones"]
    for name in VRM_REQUIRED:
        assert name in bones
    for name, entry in bones.items():
        assert ranger_glb.node_names[entry["node"]] == name[0].upper() + name[1:]
    assert bones["leftThumbMetacarpal"]["node"] == skeleton.INDEX["LeftThumbMetacarpal"]
    targets = ranger_glb.mesh.extras["targetNames"]
    aa = humanoid["expressions"]["preset"]["aa"]["morphTargetBinds"][0]
    assert ranger_glb.node_names[aa["node"]] == "Avatar" and targets[aa["index"]] == "viseme_aa"
    assert len(humanoid["expressions"]["preset"]["blink"]["morphTargetBinds"]) == 2


def test_unity_human_description_names_transforms_that_exist(ranger, ranger_glb):
    description = json.loads(ranger.unity_human_description_json)
    human = {entry["humanName"]: entry["boneName"] for entry in description["human"]}
    for name in UNITY_REQUIRED:
        assert human[name] == name
    assert human["Left Thumb Proximal"] == "LeftThumbMetacarpal"
    assert human["Right Little Distal"] == "RightLittleDistal"
    names = set(ranger_glb.node_names)
    assert {entry["boneName"] for entry in description["human"]} <= names
    skeleton_names = [entry["name"] for entry in description["skeleton"]]
    assert set(skeleton_names) == names
    world = ranger_glb.joint_world()
    by_name = {entry["name"]: entry for entry in description["skeleton"]}
    hand = by_name["LeftHand"]["position"]
    assert hand[0] < 0  # Unity's axes: glTF x negated
    assert abs(-hand[0] - (world["LeftHand"][0] - world["LeftLowerArm"][0])) < 1e-5
    assert description["upperArmTwist"] == 0.5 and description["hasTranslationDoF"] is False
