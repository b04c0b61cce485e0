// Window > Worldsmith > Avatar: generates a rigged avatar, imports the GLB and builds its Humanoid avatar.
using System;
using System.IO;
using UnityEditor;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    public sealed class AvatarWindow : EditorWindow
    {
        WorldsmithSettings settings;
        string description = "a tall elderly blacksmith with a grey beard and a leather apron";
        ulong seed;
        float heightMetres = 1.75f;
        int textureSize = 1024;
        GenerationProgress running;
        string message;
        GameObject lastPrefab;

        [MenuItem("Window/Worldsmith/Avatar")]
        static void Open() => GetWindow<AvatarWindow>("Worldsmith Avatar");

        void OnGUI()
        {
            settings = WorldsmithEditorUtility.SettingsField(settings);
            EditorGUILayout.LabelField("Description");
            description = EditorGUILayout.TextArea(description, GUILayout.MinHeight(48));
            heightMetres = EditorGUILayout.Slider("Height (m)", heightMetres, 1.2f, 2.2f);
            textureSize = EditorGUILayout.IntPopup("Atlas size", textureSize,
                new[] { "512", "1024", "2048" }, new[] { 512, 1024, 2048 });
            seed = (ulong)Math.Max(0, EditorGUILayout.LongField("Seed", (long)seed));

            using (new EditorGUI.DisabledScope(running != null))
            {
                if (GUILayout.Button("Generate")) Generate();
            }
            running?.Draw();
            if (!string.IsNullOrEmpty(message)) EditorGUILayout.HelpBox(message, MessageType.Info);
            if (lastPrefab != null) EditorGUILayout.ObjectField("Prefab", lastPrefab, typeof(GameObject), false);
        }

        async void Generate()
        {
            var request = new CreateAvatarRequest
            {
                Description = description,
                Seed = seed,
                TextureSize = (uint)textureSize,
                Parameters = new AvatarParameters { HeightM = heightMetres },
                Lane = Lane.Interactive,
            };
            running = new GenerationProgress();
            message = null;
            try
            {
                var call = settings.Client.Avatars.CreateAvatar(
                    request, deadline: WorldsmithClient.In(300), cancellationToken: running.Token);
                var failure = await running.Follow(call, response =>
                {
                    switch (response.EventCase)
                    {
                        case CreateAvatarResponse.EventOneofCase.Queued: running.Apply(response.Queued); break;
                        case CreateAvatarResponse.EventOneofCase.Progress: running.Apply(response.Progress); break;
                        case CreateAvatarResponse.EventOneofCase.Result: Import(response.Result); break;
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

        void Import(AvatarResult result)
        {
            var folder = WorldsmithEditorUtility.EnsureFolder(
                $"Assets/Worldsmith/Avatars/{WorldsmithEditorUtility.Slug(description)}-{result.Dna.Seed}");
            var glbPath = $"{folder}/avatar.glb";
            File.WriteAllBytes(glbPath, result.Glb.ToByteArray());
            File.WriteAllText($"{folder}/humanoid.json", result.HumanoidJson);
            File.WriteAllText($"{folder}/unity_human_description.json", result.UnityHumanDescriptionJson);
            // Keep the DNA: sending it back regenerates this exact avatar.
            File.WriteAllText($"{folder}/dna.json", Google.Protobuf.JsonFormatter.Default.Format(result.Dna));
            AssetDatabase.ImportAsset(glbPath, ImportAssetOptions.ForceSynchronousImport);

            var model = AssetDatabase.LoadAssetAtPath<GameObject>(glbPath);
            if (model == null)
            {
                message = $"Saved {glbPath}, but no importer turned it into a model. Install glTFast " +
                          "(Package Manager > Add package by name: com.unity.cloud.gltfast) and reimport.";
                return;
            }
            lastPrefab = HumanoidAvatarBuilder.BuildPrefab(model, result.UnityHumanDescriptionJson, folder);
            message = $"Imported {glbPath} with a Humanoid avatar ({result.BlendShapes.Count} blend shapes).";
            EditorGUIUtility.PingObject(lastPrefab);
        }
    }
}
