// Scene graphs (glTF axes) become GameObjects in Unity's axes, parented and named as the graph says.
using System.Collections.Generic;
using NUnit.Framework;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Tests
{
    public sealed class SceneGraphBuilderTests
    {
        readonly List<UnityEngine.Object> created = new List<UnityEngine.Object>();

        [TearDown]
        public void DestroyCreated()
        {
            foreach (var item in created)
            {
                if (item != null) UnityEngine.Object.DestroyImmediate(item);
            }
            created.Clear();
        }

        T Keep<T>(T item) where T : UnityEngine.Object
        {
            created.Add(item);
            return item;
        }

        static SceneNode Node(string id, string tag, Vec3 position, string parentId = "") => new SceneNode
        {
            Id = id,
            Tag = tag,
            ParentId = parentId,
            Transform = new V1.Transform { Position = position },
        };

        static Vec3 V(float x, float y, float z) => new Vec3 { X = x, Y = y, Z = z };

        [Test]
        public void PositionsAreMirroredOnZ()
        {
            Assert.AreEqual(new Vector3(1f, 2f, -3f), SceneGraphBuilder.ToUnity(V(1f, 2f, 3f)));
            Assert.AreEqual(Vector3.zero, SceneGraphBuilder.ToUnity((Vec3)null));
        }

        [Test]
        public void AQuarterTurnStillFacesTheSameWay()
        {
            // glTF: a quarter turn about +Y (right-handed) takes +X to -Z, which is Unity's +Z.
            var half = Mathf.Sqrt(0.5f);
            var rotation = SceneGraphBuilder.ToUnity(new V1.Quaternion { X = 0f, Y = half, Z = 0f, W = half });
            var turned = rotation * Vector3.right;
            Assert.That(Vector3.Distance(turned, Vector3.forward), Is.LessThan(1e-5f), turned.ToString());
        }

        [Test]
        public void NodesAreParentedAsTheGraphSaysWhateverTheirOrder()
        {
            var graph = new SceneGraph();
            graph.Nodes.Add(Node("lamp", "lamp", V(0f, 1f, 0f), parentId: "table"));
            graph.Nodes.Add(Node("table", "table", V(2f, 0f, 3f)));

            var root = Keep(SceneGraphBuilder.Build(graph, null, "Room"));

            Assert.AreEqual("Room", root.name);
            var table = root.transform.Find("table (table)");
            Assert.IsNotNull(table);
            var lamp = table.Find("lamp (lamp)");
            Assert.IsNotNull(lamp, "the lamp hangs under the table");
            Assert.AreEqual(new Vector3(2f, 0f, -3f), table.localPosition);
            Assert.AreEqual(new Vector3(0f, 1f, 0f), lamp.localPosition);
            var info = lamp.GetComponent<SceneNodeInfo>();
            Assert.AreEqual("lamp", info.nodeId);
            Assert.AreEqual("lamp", info.assetTag);
        }

        [Test]
        public void UnmappedTagsGetAPlaceholderFillingTheirBounds()
        {
            var graph = new SceneGraph();
            var crate = Node("c1", "crate", V(0f, 0f, 0f));
            crate.BoundsMin = V(0f, 0f, 0f);
            crate.BoundsMax = V(2f, 1f, 4f);
            graph.Nodes.Add(crate);

            var root = Keep(SceneGraphBuilder.Build(graph, null, "Room"));

            var node = root.transform.Find("crate (c1)");
            var info = node.GetComponent<SceneNodeInfo>();
            Assert.AreEqual(new Vector3(1f, 0.5f, -2f), info.worldBounds.center);
            Assert.AreEqual(new Vector3(2f, 1f, 4f), info.worldBounds.size);
            var placeholder = node.Find("placeholder");
            Assert.IsNotNull(placeholder);
            Assert.AreEqual(new Vector3(2f, 1f, 4f), placeholder.localScale);
        }

        [Test]
        public void MappedTagsUseTheirPrefabAndPlaceholdersCanBeOff()
        {
            var bed = Keep(new GameObject("Bed prefab"));
            var tagMap = Keep(ScriptableObject.CreateInstance<SceneTagMap>());
            tagMap.entries.Add(new SceneTagMap.Entry { tag = "bed", prefab = bed });
            tagMap.placeholders = false;
            var graph = new SceneGraph();
            graph.Nodes.Add(Node("b1", "bed", V(1f, 0f, 1f)));
            graph.Nodes.Add(Node("r1", "rug", V(0f, 0f, 0f)));
            var instantiated = new List<GameObject>();

            var root = Keep(SceneGraphBuilder.Build(graph, tagMap, "Bedroom", (prefab, parent) =>
            {
                instantiated.Add(prefab);
                return UnityEngine.Object.Instantiate(prefab, parent);
            }));

            CollectionAssert.AreEqual(new[] { bed }, instantiated);
            Assert.IsNotNull(root.transform.Find("bed (b1)"));
            Assert.AreEqual(0, root.transform.Find("rug (r1)").childCount, "no placeholder when they are off");
            Assert.IsNull(tagMap.Find("wardrobe"));
        }
    }
}
