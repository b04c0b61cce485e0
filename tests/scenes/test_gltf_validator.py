"""The GLB previews pass the Khronos glTF validator (from `make tools`) with no errors or warnings, and carry the
normals viewers need to light them."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import pytest

from harness import REPO
from tests.scenes.test_dungeon import dungeon
from tests.scenes.test_interior import interior
from tests.scenes.test_terrain import tile
from worldsmith.scenes import generate

VALIDATOR = REPO / ".tools" / "node_modules" / "gltf-validator"
REPORT = """
const validator = require(process.argv[1]);
const data = new Uint8Array(require('fs').readFileSync(0));
validator.validateBytes(data).then(r => console.log(JSON.stringify(r.issues)));
"""


@pytest.mark.skipif(not VALIDATOR.exists() or shutil.which("node") is None, reason="needs `make tools` (gltf-validator) and node")
@pytest.mark.parametrize("request_", [interior("a tavern", (10, 3, 8), seed=1), dungeon(1, cells=24), tile(1)],
                         ids=["interior", "dungeon", "terrain"])
def test_preview_is_valid_gltf(request_):
    glb = generate(request_).glb_preview
    run = subprocess.run(["node", "-e", REPORT, str(VALIDATOR)], input=glb, capture_output=True, check=True, timeout=60)
    issues = json.loads(run.stdout)
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"][:5]
    (length,) = struct.unpack("<I", glb[12:16])
    primitives = [p for mesh in json.loads(glb[20:20 + length])["meshes"] for p in mesh["primitives"]]
    assert all("NORMAL" in p["attributes"] for p in primitives), "a viewer would draw the unlit boxes black"
