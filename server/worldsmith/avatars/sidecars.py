"""Engine mapping sidecars: a VRM 1.0 style humanoid map and a Unity HumanDescription source.

Godot reads the GLB's bone names directly (they are SkeletonProfileHumanoid's). Unity needs a
HumanDescription (human bone -> transform name, plus the T-pose skeleton) to build an Avatar at
runtime with `AvatarBuilder.BuildHumanAvatar`; the JSON here has its fields, named as in the
C# API, so `JsonUtility.FromJson<HumanDescription>`-style code fills it without guesswork.
"""

from __future__ import annotations

import json

import numpy as np

from worldsmith.avatars import head as head_shapes
from worldsmith.avatars.glb import Skeleton

# Unity's human names differ from VRM 1.0 / Godot only for fingers: Unity counts three thumb
# bones from the palm (its "Proximal" is VRM 1.0's "Metacarpal") and spells them with spaces.
_UNITY_THUMB = {"Metacarpal": "Proximal", "Proximal": "Intermediate", "Distal": "Distal"}
_FINGERS = ("Thumb", "Index", "Middle", "Ring", "Little")


def unity_human_name(bone: str) -> str:
    for side in ("Left", "Right"):
        for finger in _FINGERS:
            prefix = f"{side}{finger}"
            if bone.startswith(prefix):
                segment = bone[len(prefix):]
                if finger == "Thumb":
                    segment = _UNITY_THUMB[segment]
                return f"{side} {finger} {segment}"
    return bone


def vrm_human_name(bone: str) -> str:
    return bone[0].lower() + bone[1:]


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False)


def humanoid_json(skeleton: Skeleton, mesh_node: int, target_names: list[str], eye_height: float) -> str:
    """VRMC_vrm-shaped JSON: humanoid bones by node index, expression presets bound to blend
    shapes, and the look-at offset."""
    index = {name: i for i, name in enumerate(target_names)}

    def bind(*names: str) -> dict:
        return {"morphTargetBinds": [{"node": mesh_node, "index": index[name], "weight": 1.0} for name in names]}

    head_at = skeleton.positions[skeleton.names.index("Head")]
    data = {
        "specVersion": "1.0",
        "humanoid": {"humanBones": {vrm_human_name(name): {"node": i} for i, name in enumerate(skeleton.names) if name != "Root"}},
        "expressions": {
            "preset": {
                "aa": bind("viseme_aa"), "ih": bind("viseme_I"), "ou": bind("viseme_U"), "ee": bind("viseme_E"),
                "oh": bind("viseme_O"), "blink": bind(*head_shapes.BLINKS), "blinkLeft": bind("eyeBlinkLeft"),
                "blinkRight": bind("eyeBlinkRight"), "happy": bind("mouthSmileLeft", "mouthSmileRight"),
            },
            "custom": {name: bind(name) for name in target_names if name.startswith("viseme_")},
        },
        "lookAt": {"type": "bone", "offsetFromHeadBone": [0.0, round(float(eye_height - head_at[1]), 5), 0.0]},
    }
    return _dumps(data)


def unity_human_description_json(skeleton: Skeleton, mesh_node_name: str) -> str:
    """HumanDescription fields. Positions are in Unity's axes (glTF x negated, which is how
    glTFast and UniGLTF import); rotations are identity because the rest pose is a T-pose."""
    human = [
        {"boneName": name, "humanName": unity_human_name(name), "limit": {"useDefaultValues": True}}
        for name in skeleton.names if name != "Root"
    ]
    bones = [{"name": mesh_node_name, "parentName": "", "position": [0.0, 0.0, 0.0], "rotation": [0.0, 0.0, 0.0, 1.0], "scale": [1.0, 1.0, 1.0]}]
    for i, (name, parent) in enumerate(zip(skeleton.names, skeleton.parents)):
        local = skeleton.positions[i] - (skeleton.positions[parent] if parent >= 0 else np.zeros(3))
        bones.append({
            "name": name,
            "parentName": skeleton.names[parent] if parent >= 0 else "",
            "position": [round(float(-local[0]), 6), round(float(local[1]), 6), round(float(local[2]), 6)],
            "rotation": [0.0, 0.0, 0.0, 1.0],
            "scale": [1.0, 1.0, 1.0],
        })
    data = {
        "human": human,
        "skeleton": bones,
        "upperArmTwist": 0.5,
        "lowerArmTwist": 0.5,
        "upperLegTwist": 0.5,
        "lowerLegTwist": 0.5,
        "armStretch": 0.05,
        "legStretch": 0.05,
        "feetSpacing": 0.0,
        "hasTranslationDoF": False,
        "rootBone": skeleton.names[0],
    }
    return _dumps(data)
