"""LODs: fewer triangles each, the same skeleton and a valid skin."""

from __future__ import annotations

import numpy as np

from avatar_helpers import Glb, make


def test_default_lods_halve_the_triangles_and_keep_the_skin(ranger, ranger_glb):
    assert [lod.ratio for lod in ranger.lods] == [0.5, 0.25]
    full = ranger_glb.triangles()
    previous = full
    for lod in ranger.lods:
        glb = Glb(lod.glb)
        assert glb.triangles() == lod.triangles < previous
        assert 0.6 * lod.ratio * full < lod.triangles < 1.4 * lod.ratio * full
        previous = lod.triangles
        assert glb.node_names == ranger_glb.node_names
        assert np.array_equal(glb.accessor(glb.gltf.skins[0].inverseBindMatrices), ranger_glb.accessor(ranger_glb.gltf.skins[0].inverseBindMatrices))
        for primitive in glb.mesh.primitives:
            weights = glb.attribute(primitive, "WEIGHTS_0").astype(np.float64)
            assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-6)
        assert glb.positions()[:, 1].min() == 0.0
        assert len(lod.glb) < len(ranger.glb)


def test_requested_lods():
    result = make("knight", seed=2, lods=[1.0, 0.6, 0.3, 0.1])
    assert [lod.ratio for lod in result.lods] == [0.6000000238418579, 0.30000001192092896, 0.10000000149011612]
    triangles = [lod.triangles for lod in result.lods]
    assert triangles == sorted(triangles, reverse=True)
    assert make("knight", seed=2, lods=[1.0]).lods == []
