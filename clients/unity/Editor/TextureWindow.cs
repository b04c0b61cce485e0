// Window > Worldsmith > Texture: generates a tileable material set and imports it as a Material.
using System;
using System.Collections.Generic;
using System.Linq;
using UnityEditor;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    public sealed class TextureWindow : EditorWindow
    {
        static readonly int[] Sizes = { 256, 512, 1024, 2048 };

        // Unity's Lit shaders read separate maps; ORM is for glTF and Godot.
        static readonly TextureMap[] OfferedMaps =
        {
            TextureMap.Albedo, TextureMap.Normal, TextureMap.Height, TextureMap.Roughness,
            TextureMap.AmbientOcclusion, TextureMap.Metallic,
        };

        WorldsmithSettings settings;
        string prompt = "mossy cobblestones";
        string negativePrompt = "";
        string model = "";
        int size = 512;
        ulong seed;
        Tiling tiling = Tiling.Both;
        readonly HashSet<TextureMap> maps = new HashSet<TextureMap> { TextureMap.Albedo, TextureMap.Normal, TextureMap.Roughness };
        GenerationProgress running;
        string message;
        Material lastMaterial;

        [MenuItem("Window/Worldsmith/Texture")]
        static void Open() => GetWindow<TextureWindow>("Worldsmith Texture");

        void OnGUI()
        {
            settings = WorldsmithEditorUtility.SettingsField(settings);
            prompt = EditorGUILayout.TextField("Prompt", prompt);
            negativePrompt = EditorGUILayout.TextField("Negative prompt", negativePrompt);
            model = EditorGUILayout.TextField(new GUIContent("Model", "Empty: the server's default; \"procedural\" for presets."), model);
            size = EditorGUILayout.IntPopup("Size", size, Sizes.Select(s => s.ToString()).ToArray(), Sizes);
            seed = (ulong)Math.Max(0, EditorGUILayout.LongField(new GUIContent("Seed", "0: random (reported in the result)"), (long)seed));
            tiling = (Tiling)EditorGUILayout.EnumPopup("Tiling", tiling);
            EditorGUILayout.LabelField("Maps");
            using (new EditorGUI.IndentLevelScope())
            {
                foreach (var map in OfferedMaps)
                {
                    var on = EditorGUILayout.Toggle(ObjectNames.NicifyVariableName(map.ToString()), maps.Contains(map));
                    if (on) maps.Add(map); else maps.Remove(map);
                }
            }

            using (new EditorGUI.DisabledScope(running != null || string.IsNullOrWhiteSpace(prompt)))
            {
                if (GUILayout.Button("Generate")) Generate();
            }
            running?.Draw();
            if (!string.IsNullOrEmpty(message)) EditorGUILayout.HelpBox(message, MessageType.Info);
            if (lastMaterial != null) EditorGUILayout.ObjectField("Material", lastMaterial, typeof(Material), false);
        }

        async void Generate()
        {
            var request = new GenerateTextureRequest
            {
                Prompt = prompt,
                NegativePrompt = negativePrompt,
                Model = model,
                Width = (uint)size,
                Height = (uint)size,
                Seed = seed,
                Tiling = tiling,
                PreviewEvery = 5,
                Lane = Lane.Interactive,
            };
            request.Maps.AddRange(maps.OrderBy(m => m));
            running = new GenerationProgress();
            message = null;
            try
            {
                var call = settings.Client.Textures.GenerateTexture(
                    request, deadline: WorldsmithClient.In(600), cancellationToken: running.Token);
                var failure = await running.Follow(call, response =>
                {
                    switch (response.EventCase)
                    {
                        case GenerateTextureResponse.EventOneofCase.Queued: running.Apply(response.Queued); break;
                        case GenerateTextureResponse.EventOneofCase.Progress: running.Apply(response.Progress); break;
                        case GenerateTextureResponse.EventOneofCase.Result: Import(response.Result); break;
                    }
                }, Repaint);
                if (failure != null) message = failure;
            }
            finally
            {
                running.Dispose();
                running = null;
                Repaint();
            }
        }

        void Import(TextureResult result)
        {
            var variation = result.Variations[0];
            var folder = WorldsmithEditorUtility.EnsureFolder(
                $"Assets/Worldsmith/Textures/{WorldsmithEditorUtility.Slug(prompt)}-{variation.Recipe.Seed}");
            lastMaterial = TextureSetImporter.Import(folder, variation);
            message = $"Imported {variation.Images.Count} maps into {folder}" + (result.Cached ? " (from the server's cache)." : ".");
            EditorGUIUtility.PingObject(lastMaterial);
        }
    }
}
