// Which prefab stands for which asset tag when a generated scene graph is instantiated.
using System;
using System.Collections.Generic;
using UnityEngine;

namespace Worldsmith
{
    [CreateAssetMenu(menuName = "Worldsmith/Scene Tag Map", fileName = "SceneTagMap")]
    public sealed class SceneTagMap : ScriptableObject
    {
        [Serializable]
        public struct Entry
        {
            [Tooltip("Catalog tag (\"bed\", \"table\") or structural tag (\"floor\", \"wall\", \"door\", \"window\").")]
            public string tag;
            public GameObject prefab;
        }

        public List<Entry> entries = new List<Entry>();

        [Tooltip("Tags without a prefab become cubes the size of their bounds (off: empty objects).")]
        public bool placeholders = true;

        public GameObject Find(string tag)
        {
            foreach (var entry in entries)
            {
                if (entry.tag == tag) return entry.prefab;
            }
            return null;
        }
    }
}
