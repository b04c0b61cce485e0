"""DNA: the same DNA gives the same bytes; editing one parameter changes only what it should."""

from __future__ import annotations

import numpy as np

from worldsmith._proto.worldsmith.v1 import avatar_pb2, common_pb2
from worldsmith.avatars import dna

from avatar_helpers import Glb, make


def _files(result: avatar_pb2.AvatarResult) -> list[bytes]:
    return [result.glb] + [lod.glb for lod in result.lods] + [result.humanoid_json.encode(), result.unity_human_description_json.encode()]


def test_dna_is_complete_and_regenerates_the_same_bytes(ranger):
    params = ranger.dna.parameters
    for name in dna.SCALARS + dna.COLORS:
        assert params.HasField(name), name
    assert params.hair_style and params.outfit and ranger.dna.seed == 7 and ranger.dna.version == 1
    again = make(dna=ranger.dna)
    assert _files(again) == _files(ranger)
    assert again.recipe.content_hash == ranger.recipe.content_hash
    # Through JSON, as a client would store it.
    stored = dna.from_json(dna.to_json(ranger.dna))
    assert _files(make(dna=stored)) == _files(ranger)


def test_the_same_request_gives_the_same_bytes_and_seeds_differ():
    first, second = make("red haired knight", seed=11), make("red haired knight", seed=11)
    assert _files(first) == _files(second)
    assert make("red haired knight", seed=12).glb != first.glb


def _texture(glb: Glb) -> bytes:
    view = glb.gltf.bufferViews[glb.gltf.images[0].bufferView]
    return glb.blob[view.byteOffset : view.byteOffset + view.byteLength]


def test_editing_the_hair_colour_changes_only_the_hair_tile(ranger, ranger_glb):
    edited = make(dna=ranger.dna, parameters=avatar_pb2.AvatarParameters(hair_color=common_pb2.Color(r=0.8, g=0.05, b=0.05, a=1)))
    glb = Glb(edited.glb)
    for material in ("Skin", "Eyes", "Hair", "Outfit"):
        for attribute in ("POSITION", "NORMAL", "TEXCOORD_0", "JOINTS_0", "WEIGHTS_0"):
            assert np.array_equal(glb.attribute(glb.primitive(material), attribute), ranger_glb.attribute(ranger_glb.primitive(material), attribute))
    assert _texture(glb) != _texture(ranger_glb)
    changed = dna.to_json(edited.dna).splitlines()
    assert len([line for line in changed if line not in dna.to_json(ranger.dna).splitlines()]) <= 3  # r, g, b of hair_color


def test_editing_the_hair_style_changes_only_the_hair(ranger, ranger_glb):
    edited = Glb(make(dna=ranger.dna, parameters=avatar_pb2.AvatarParameters(hair_style="mohawk")).glb)
    for material in ("Skin", "Eyes", "Outfit"):
        assert np.array_equal(edited.attribute(edited.primitive(material), "POSITION"), ranger_glb.attribute(ranger_glb.primitive(material), "POSITION"))
    assert not np.array_equal(edited.attribute(edited.primitive("Hair"), "POSITION"), ranger_glb.attribute(ranger_glb.primitive("Hair"), "POSITION"))
    assert _texture(edited) == _texture(ranger_glb)
    world = edited.joint_world()
    for name, position in ranger_glb.joint_world().items():
        assert np.array_equal(world[name], position)


def test_editing_the_height_moves_the_body_but_keeps_the_look(ranger, ranger_glb):
    taller = Glb(make(dna=ranger.dna, parameters=avatar_pb2.AvatarParameters(height_m=ranger.dna.parameters.height_m + 0.2)).glb)
    assert _texture(taller) == _texture(ranger_glb)
    assert taller.joint_world()["Head"][1] > ranger_glb.joint_world()["Head"][1]
    assert len(taller.attribute(taller.primitive("Skin"), "POSITION")) == len(ranger_glb.attribute(ranger_glb.primitive("Skin"), "POSITION"))


def test_layers_explicit_beats_description_beats_seed():
    result = make("tall woman with red hair", seed=5, parameters=avatar_pb2.AvatarParameters(height_m=1.5))
    assert abs(result.dna.parameters.height_m - 1.5) < 1e-6
    assert result.dna.parameters.hair_color.r > 3 * result.dna.parameters.hair_color.b
    # The description changes single outfit slots; explicit outfit replaces the list.
    described = make("a man in green boots", seed=5).dna.parameters
    assert [piece.kind for piece in described.outfit] == ["shirt", "trousers", "boots"]
    replaced = make("a man in green boots", seed=5, parameters=avatar_pb2.AvatarParameters(outfit=[avatar_pb2.OutfitPiece(kind="cloak")])).dna.parameters
    assert [piece.kind for piece in replaced.outfit] == ["cloak"] and replaced.outfit[0].HasField("color")


def test_a_body_plan_alone_gives_the_folks_figure():
    from worldsmith.avatars import dna as dna_module

    for seed in range(6):
        dwarf = dna_module.defaults(seed, avatar_pb2.AvatarParameters(body_plan="dwarf", femininity=0.0))
        elf = dna_module.defaults(seed, avatar_pb2.AvatarParameters(body_plan="elf"))
        assert dwarf.height_m <= 1.4501 and dwarf.head_scale > 1.1 and dwarf.build >= 0.7 and dwarf.muscle >= 0.6
        assert dwarf.beard_style == "full"
        assert elf.height_m > 1.6 and elf.build <= 0.3 and elf.leg_ratio > 0.5
    old = dna_module.defaults(1, avatar_pb2.AvatarParameters(age=80))
    spread = max(old.hair_color.r, old.hair_color.g, old.hair_color.b) - min(old.hair_color.r, old.hair_color.g, old.hair_color.b)
    assert spread < 0.05  # grey
