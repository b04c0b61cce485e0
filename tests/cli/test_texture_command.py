"""`worldsmith texture ...` writes the material set and its recipe through TextureService."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from worldsmith._proto.worldsmith.v1 import texture_pb2
from worldsmith.cli.texture import write_texture
from worldsmith.errors import InvalidArgument

ALL_MAPS = [value for value in texture_pb2.TextureMap.values() if value]


def test_cli_command_writes_the_set_and_its_recipe(tmp_path):
    written = write_texture("mossy cobblestone", tile="both", maps="all", size=64, seed=1,
                            output=tmp_path / "out", data_dir=tmp_path / "data")
    names = sorted(path.name for path in written)
    assert "mossy-cobblestone-albedo.png" in names and "mossy-cobblestone-orm.png" in names
    assert len(names) == len(ALL_MAPS) + 1
    recipe = json.loads((tmp_path / "out" / "mossy-cobblestone-recipe.json").read_text())
    assert recipe["backend"] == "procedural" and recipe["parameters"]["preset"] == "cobblestone"
    albedo = np.asarray(Image.open(tmp_path / "out" / "mossy-cobblestone-albedo.png"))
    assert albedo.shape == (64, 64, 3)
    with pytest.raises(InvalidArgument):
        write_texture("x", tile="diagonal", output=tmp_path / "out")
