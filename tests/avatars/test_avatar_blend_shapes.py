"""Blend shapes for lip sync and blinks: present, named, and moving the right part of the face."""

from __future__ import annotations

import numpy as np

from worldsmith.avatars.head import VISEMES

from avatar_helpers import Glb

EXPECTED = [f"viseme_{name}" for name in ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")]


def test_visemes_and_blinks_are_named_in_target_names(ranger, ranger_glb):
    names = ranger_glb.mesh.extras["targetNames"]
    assert names[:15] == EXPECTED and len(VISEMES) == 15
    assert {"eyeBlinkLeft", "eyeBlinkRight", "jawOpen", "mouthSmileLeft", "mouthSmileRight"} <= set(names)
    assert list(ranger.blend_shapes) == names
    for primitive in ranger_glb.mesh.primitives:
        assert len(primitive.targets) == len(names)


def _mouth(glb: Glb):
    skin = glb.primitive("Skin")
    positions = glb.attribute(skin, "POSITION")
    return skin, positions


def test_aa_opens_the_jaw_and_sil_is_neutral(ranger_glb):
    skin, positions = _mouth(ranger_glb)
    aa = ranger_glb.morph(skin, "viseme_aa")
    moved = np.linalg.norm(aa, axis=1) > 1e-4
    assert moved.any()
    top = positions[:, 1].max()
    # Only the face moves, the lower part goes down by a centimetre or more.
    assert positions[moved, 1].min() > top - 0.3 and positions[moved, 2].min() > 0
    assert aa[:, 1].min() < -0.01
    assert not ranger_glb.morph(skin, "viseme_sil").any()
    for name in EXPECTED[1:]:
        assert np.abs(ranger_glb.morph(skin, name)).max() > 1e-4, name


def test_blinks_and_smiles_move_one_side_each(ranger_glb):
    skin, positions = _mouth(ranger_glb)
    for name, sign in (("eyeBlinkLeft", 1), ("eyeBlinkRight", -1), ("mouthSmileLeft", 1), ("mouthSmileRight", -1)):
        blink = ranger_glb.morph(skin, name)
        moved = np.linalg.norm(blink, axis=1) > 1e-4
        assert moved.sum() > 10
        assert np.all(sign * positions[moved, 0] > -0.005)  # that side of the face only
    other = ranger_glb.primitive("Hair")
    assert not ranger_glb.morph(other, "eyeBlinkLeft").any()


def test_lods_keep_the_blend_shapes(ranger):
    for lod in ranger.lods:
        glb = Glb(lod.glb)
        assert glb.mesh.extras["targetNames"] == list(ranger.blend_shapes)
        skin = glb.primitive("Skin")
        assert glb.morph(skin, "viseme_aa")[:, 1].min() < -0.01


def test_a_beard_and_moustache_move_with_the_mouth_and_follow_head_and_jaw():
    from avatar_helpers import make
    from worldsmith.avatars import skeleton

    glb = Glb(make("man with a long beard and a walrus moustache", seed=4, lods=[1.0]).glb)
    hair = glb.primitive("Hair")
    positions = glb.attribute(hair, "POSITION")
    top = positions[:, 1].max()
    beard = (positions[:, 1] < top - 0.17) & (positions[:, 2] > 0.05)  # below the mouth, in front of the face
    assert beard.sum() > 100
    drop = glb.morph(hair, "jawOpen")[beard]
    assert drop[:, 1].min() < -0.01  # the chin's hair goes down with the chin
    joints, weights = glb.attribute(hair, "JOINTS_0"), glb.attribute(hair, "WEIGHTS_0")
    used = {int(j) for j, w in zip(joints[beard].ravel(), weights[beard].ravel()) if w > 0}
    assert used <= {skeleton.INDEX["Head"], skeleton.INDEX["Jaw"]} and skeleton.INDEX["Jaw"] in used
