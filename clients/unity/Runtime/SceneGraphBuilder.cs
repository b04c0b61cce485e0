// Turns a generated SceneGraph into GameObjects, through a tag-to-prefab map.
using System;
using System.Collections.Generic;
using Google.Protobuf;
using UnityEngine;
using Worldsmith.V1;
using Quaternion = UnityEngine.Quaternion;
using Transform = UnityEngine.Transform;

namespace Worldsmith
{
    public static class SceneGraphBuilder
    {
        /// <summary>
        /// Creates one GameObject per node under a new root, parented as in the graph. Scene
        /// graphs use glTF's right-handed axes (+Y up); positions and rotations are mirrored
        /// on Z into Unity's left-handed ones. <paramref name="instantiate"/> lets the editor
        /// keep prefab links (PrefabUtility.InstantiatePrefab); it defaults to Object.Instantiate.
        /// </summary>
        public static GameObject Build(SceneGraph graph, SceneTagMap tagMap, string rootName,
            Func<GameObject, Transform, GameObject> instantiate = null)
        {
            instantiate ??= (prefab, parent) => UnityEngine.Object.Instantiate(prefab, parent);
            var root = new GameObject(rootName);
            var created = new Dictionary<string, GameObject>();
            foreach (var node in graph.Nodes)
                created[node.Id] = CreateNode(node, tagMap, root.transform, instantiate);

            // Parent after every node exists: the graph does not promise parents come first.
            foreach (var node in graph.Nodes)
            {
                var parent = !string.IsNullOrEmpty(node.ParentId) && created.TryGetValue(node.ParentId, out var p)
                    ? p.transform : root.transform;
                var transform = created[node.Id].transform;
                transform.SetParent(parent, false);
                ApplyTransform(transform, node.Transform);
            }
            foreach (var info in root.GetComponentsInChildren<SceneNodeInfo>())
                FitPlaceholder(info, root.transform);
            return root;
        }

        static GameObject CreateNode(SceneNode node, SceneTagMap tagMap, Transform root,
            Func<GameObject, Transform, GameObject> instantiate)
        {
            var prefab = tagMap != null ? tagMap.Find(node.Tag) : null;
            GameObject go;
            if (prefab != null)
            {
                go = instantiate(prefab, root);
            }
            else
            {
                go = new GameObject();
                go.transform.SetParent(root, false);
                if (tagMap == null || tagMap.placeholders)
                {
                    var cube = GameObject.CreatePrimitive(PrimitiveType.Cube);
                    cube.name = PlaceholderName;
                    cube.transform.SetParent(go.transform, false);
                }
            }
            go.name = $"{node.Tag} ({node.Id})";

            var info = go.AddComponent<SceneNodeInfo>();
            info.nodeId = node.Id;
            info.assetTag = node.Tag;
            info.propertiesJson = node.Properties != null ? JsonFormatter.Default.Format(node.Properties) : "{}";
            var min = ToUnity(node.BoundsMin);
            var max = ToUnity(node.BoundsMax);
            info.worldBounds = new Bounds((min + max) * 0.5f, Abs(max - min));
            return go;
        }

        const string PlaceholderName = "placeholder";

        // A placeholder cube fills the node's world bounds, whatever the node's own transform.
        static void FitPlaceholder(SceneNodeInfo info, Transform root)
        {
            var cube = info.transform.Find(PlaceholderName);
            if (cube == null) return;
            cube.SetPositionAndRotation(root.TransformPoint(info.worldBounds.center), root.rotation);
            var scale = info.transform.lossyScale;
            var size = info.worldBounds.size;
            cube.localScale = new Vector3(
                size.x / NonZero(scale.x), size.y / NonZero(scale.y), size.z / NonZero(scale.z));
        }

        static float NonZero(float value) => Mathf.Abs(value) < 1e-6f ? 1f : value;

        static void ApplyTransform(Transform target, V1.Transform source)
        {
            if (source == null) return;
            target.localPosition = ToUnity(source.Position);
            if (source.Rotation != null) target.localRotation = ToUnity(source.Rotation);
            if (source.Scale != null) target.localScale = new Vector3(source.Scale.X, source.Scale.Y, source.Scale.Z);
        }

        /// <summary>A right-handed (glTF) position in Unity's left-handed axes.</summary>
        public static Vector3 ToUnity(Vec3 v) => v == null ? Vector3.zero : new Vector3(v.X, v.Y, -v.Z);

        /// <summary>A right-handed (glTF) rotation in Unity's left-handed axes.</summary>
        public static Quaternion ToUnity(V1.Quaternion q) => new Quaternion(-q.X, -q.Y, q.Z, q.W);

        static Vector3 Abs(Vector3 v) => new Vector3(Mathf.Abs(v.x), Mathf.Abs(v.y), Mathf.Abs(v.z));
    }
}
