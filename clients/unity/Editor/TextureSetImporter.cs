// Writes generated texture maps into the project with the right import settings, then a Material.
using System.Collections.Generic;
using System.IO;
using UnityEditor;
using UnityEngine;
using UnityEngine.Rendering;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    static class TextureSetImporter
    {
        /// <summary>Saves each map as PNG under <paramref name="folder"/> and returns a Lit material using them.</summary>
        public static Material Import(string folder, TextureVariation variation)
        {
            var textures = new Dictionary<TextureMap, Texture2D>();
            foreach (var image in variation.Images)
            {
                var path = $"{folder}/{image.Map.ToString().ToLowerInvariant()}.png";
                File.WriteAllBytes(path, image.Png.ToByteArray());
                AssetDatabase.ImportAsset(path, ImportAssetOptions.ForceSynchronousImport);
                ConfigureImporter(path, image.Map);
                textures[image.Map] = AssetDatabase.LoadAssetAtPath<Texture2D>(path);
            }
            if (textures.ContainsKey(TextureMap.Roughness) || textures.ContainsKey(TextureMap.Metallic))
                textures[TextureMap.Metallic] = PackMetallicSmoothness(folder, textures);

            var material = new Material(LitShader());
            Assign(material, new[] { "_BaseMap", "_MainTex", "_BaseColorMap" }, textures, TextureMap.Albedo);
            if (Assign(material, new[] { "_BumpMap", "_NormalMap" }, textures, TextureMap.Normal))
                material.EnableKeyword("_NORMALMAP");
            if (Assign(material, new[] { "_ParallaxMap", "_HeightMap" }, textures, TextureMap.Height))
                material.EnableKeyword("_PARALLAXMAP");
            Assign(material, new[] { "_OcclusionMap" }, textures, TextureMap.AmbientOcclusion);
            if (Assign(material, new[] { "_MetallicGlossMap" }, textures, TextureMap.Metallic))
                material.EnableKeyword("_METALLICGLOSSMAP");
            if (material.HasProperty("_Smoothness")) material.SetFloat("_Smoothness", 1f);
            if (material.HasProperty("_GlossMapScale")) material.SetFloat("_GlossMapScale", 1f);

            var materialPath = $"{folder}/material.mat";
            AssetDatabase.CreateAsset(material, materialPath);
            AssetDatabase.SaveAssets();
            return material;
        }

        static void ConfigureImporter(string path, TextureMap map)
        {
            var importer = (TextureImporter)AssetImporter.GetAtPath(path);
            importer.wrapMode = TextureWrapMode.Repeat;
            importer.textureType = map == TextureMap.Normal ? TextureImporterType.NormalMap : TextureImporterType.Default;
            // Only albedo holds colours; the other maps hold data and must not be gamma-decoded.
            importer.sRGBTexture = map == TextureMap.Albedo;
            importer.isReadable = map == TextureMap.Roughness || map == TextureMap.Metallic;
            importer.SaveAndReimport();
        }

        // Unity's Lit shaders read metallic from R and smoothness (1 - roughness) from A of one map.
        static Texture2D PackMetallicSmoothness(string folder, Dictionary<TextureMap, Texture2D> textures)
        {
            textures.TryGetValue(TextureMap.Metallic, out var metallic);
            textures.TryGetValue(TextureMap.Roughness, out var roughness);
            var source = roughness != null ? roughness : metallic;
            var packed = new Texture2D(source.width, source.height, TextureFormat.RGBA32, false, true);
            var metal = metallic != null ? metallic.GetPixels() : null;
            var rough = roughness != null ? roughness.GetPixels() : null;
            var pixels = new UnityEngine.Color[source.width * source.height];
            for (var i = 0; i < pixels.Length; i++)
            {
                var m = metal != null ? metal[i].r : 0f;
                var smoothness = rough != null ? 1f - rough[i].r : 0.5f;
                pixels[i] = new UnityEngine.Color(m, m, m, smoothness);
            }
            packed.SetPixels(pixels);
            var path = $"{folder}/metallic_smoothness.png";
            File.WriteAllBytes(path, packed.EncodeToPNG());
            Object.DestroyImmediate(packed);
            AssetDatabase.ImportAsset(path, ImportAssetOptions.ForceSynchronousImport);
            var importer = (TextureImporter)AssetImporter.GetAtPath(path);
            importer.sRGBTexture = false;
            importer.wrapMode = TextureWrapMode.Repeat;
            importer.SaveAndReimport();
            return AssetDatabase.LoadAssetAtPath<Texture2D>(path);
        }

        static bool Assign(Material material, string[] properties, Dictionary<TextureMap, Texture2D> textures, TextureMap map)
        {
            if (!textures.TryGetValue(map, out var texture) || texture == null) return false;
            foreach (var property in properties)
            {
                if (!material.HasProperty(property)) continue;
                material.SetTexture(property, texture);
                return true;
            }
            return false;
        }

        // The Lit shader of whichever render pipeline the project uses.
        static Shader LitShader()
        {
            var pipeline = GraphicsSettings.currentRenderPipeline;
            if (pipeline == null) return Shader.Find("Standard");
            return pipeline.defaultMaterial != null ? pipeline.defaultMaterial.shader : Shader.Find("Standard");
        }
    }
}
