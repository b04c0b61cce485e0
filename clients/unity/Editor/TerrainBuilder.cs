// Builds a Unity Terrain from a generated heightmap (raw float32 heights in metres).
using System;
using UnityEditor;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    static class TerrainBuilder
    {
        public static GameObject Build(Heightmap heightmap, string folder)
        {
            var resolution = (int)heightmap.Resolution;
            var raw = heightmap.RawFloat32.ToByteArray();
            var heights = new float[resolution, resolution];
            var scale = heightmap.HeightScale > 0 ? heightmap.HeightScale : 1f;
            for (var z = 0; z < resolution; z++)
            {
                for (var x = 0; x < resolution; x++)
                {
                    // Rows run along +Z in the server's right-handed axes, which is -Z in Unity.
                    var metres = BitConverter.ToSingle(raw, 4 * (z * resolution + x));
                    heights[resolution - 1 - z, x] = Mathf.Clamp01(metres / scale);
                }
            }

            var data = new TerrainData { heightmapResolution = resolution };
            var extent = (resolution - 1) * heightmap.CellSize;
            data.size = new Vector3(extent, scale, extent);
            data.SetHeights(0, 0, heights);
            WorldsmithEditorUtility.EnsureFolder(folder);
            AssetDatabase.CreateAsset(data, $"{folder}/terrain.asset");
            var terrain = Terrain.CreateTerrainGameObject(data);
            terrain.name = "terrain";
            terrain.transform.position = new Vector3(-extent / 2, 0, -extent / 2);
            return terrain;
        }
    }
}
