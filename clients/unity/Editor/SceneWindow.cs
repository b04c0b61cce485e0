// Window > Worldsmith > Scene: generates a room, dungeon or terrain and instantiates it in the open scene.
using System;
using UnityEditor;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    public sealed class SceneWindow : EditorWindow
    {
        WorldsmithSettings settings;
        SceneTagMap tagMap;
        SceneKind kind = SceneKind.Interior;
        string prompt = "a cosy tavern with a fireplace";
        Vector3 bounds = new Vector3(8, 3, 6);
        ulong seed;
        int doors = 1, windows = 2;
        DungeonAlgorithm algorithm = DungeonAlgorithm.Bsp;
        int terrainResolution = 257;
        float terrainHeight = 20f;
        GenerationProgress running;
        string message;

        [MenuItem("Window/Worldsmith/Scene")]
        static void Open() => GetWindow<SceneWindow>("Worldsmith Scene");

        void OnGUI()
        {
            settings = WorldsmithEditorUtility.SettingsField(settings);
            tagMap = (SceneTagMap)EditorGUILayout.ObjectField(
                new GUIContent("Tag map", "Prefabs for asset tags; tags without one become placeholder cubes."),
                tagMap, typeof(SceneTagMap), false);
            kind = (SceneKind)EditorGUILayout.EnumPopup("Kind", kind);
            prompt = EditorGUILayout.TextField("Prompt", prompt);
            bounds = EditorGUILayout.Vector3Field("Bounds (m)", bounds);
            seed = (ulong)Math.Max(0, EditorGUILayout.LongField("Seed", (long)seed));
            switch (kind)
            {
                case SceneKind.Interior:
                    doors = EditorGUILayout.IntSlider("Doors", doors, 0, 4);
                    windows = EditorGUILayout.IntSlider("Windows", windows, 0, 8);
                    break;
                case SceneKind.Dungeon:
                    algorithm = (DungeonAlgorithm)EditorGUILayout.EnumPopup("Algorithm", algorithm);
                    break;
                case SceneKind.Terrain:
                    terrainResolution = EditorGUILayout.IntPopup("Resolution", terrainResolution,
                        new[] { "129", "257", "513" }, new[] { 129, 257, 513 });
                    terrainHeight = EditorGUILayout.FloatField("Height scale (m)", terrainHeight);
                    break;
            }

            using (new EditorGUI.DisabledScope(running != null))
            {
                if (GUILayout.Button("Generate")) Generate();
            }
            running?.Draw();
            if (!string.IsNullOrEmpty(message)) EditorGUILayout.HelpBox(message, MessageType.Info);
        }

        GenerateSceneRequest BuildRequest()
        {
            var request = new GenerateSceneRequest
            {
                Kind = kind,
                Prompt = prompt,
                Bounds = new Vec3 { X = bounds.x, Y = bounds.y, Z = bounds.z },
                Seed = seed,
                Lane = Lane.Interactive,
                SkipPreview = true,
            };
            switch (kind)
            {
                case SceneKind.Interior:
                    request.Interior = new InteriorParameters { Doors = (uint)doors, Windows = (uint)windows };
                    break;
                case SceneKind.Dungeon:
                    request.Dungeon = new DungeonParameters { Algorithm = algorithm, Furnish = true };
                    break;
                case SceneKind.Terrain:
                    request.Terrain = new TerrainParameters { Resolution = (uint)terrainResolution, HeightScale = terrainHeight };
                    break;
            }
            return request;
        }

        async void Generate()
        {
            var request = BuildRequest();
            running = new GenerationProgress();
            message = null;
            try
            {
                var call = settings.Client.Scenes.GenerateScene(
                    request, deadline: WorldsmithClient.In(300), cancellationToken: running.Token);
                var failure = await running.Follow(call, response =>
                {
                    switch (response.EventCase)
                    {
                        case GenerateSceneResponse.EventOneofCase.Queued: running.Apply(response.Queued); break;
                        case GenerateSceneResponse.EventOneofCase.Progress: running.Apply(response.Progress); break;
                        case GenerateSceneResponse.EventOneofCase.Result: PlaceInScene(response.Result); break;
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

        void PlaceInScene(SceneResult result)
        {
            var rootName = $"{kind} {WorldsmithEditorUtility.Slug(prompt)} {result.Recipe.Seed}";
            var root = SceneGraphBuilder.Build(result.Graph, tagMap, rootName,
                (prefab, parent) => (GameObject)PrefabUtility.InstantiatePrefab(prefab, parent));
            if (result.Heightmap != null && result.Heightmap.Resolution > 0)
                TerrainBuilder.Build(result.Heightmap, $"Assets/Worldsmith/Scenes/{WorldsmithEditorUtility.Slug(rootName)}")
                    .transform.SetParent(root.transform, false);
            Undo.RegisterCreatedObjectUndo(root, "Generate scene");
            Selection.activeGameObject = root;
            var quality = result.Quality;
            message = quality == null
                ? $"Placed {result.Graph.Nodes.Count} nodes."
                : $"Placed {quality.ObjectsPlaced}/{quality.ObjectsRequested} objects, " +
                  $"{quality.RelationsSatisfied}/{quality.RelationsRequested} relations, " +
                  $"{quality.ReachableFraction:P0} of the floor reachable.";
        }
    }
}
