// What the server said about an instantiated scene node, for game code to query.
using UnityEngine;

namespace Worldsmith
{
    [DisallowMultipleComponent]
    public sealed class SceneNodeInfo : MonoBehaviour
    {
        public string nodeId;
        public string assetTag;
        [Tooltip("The node's free-form properties (google.protobuf.Struct) as JSON.")]
        [TextArea] public string propertiesJson;
        public Bounds worldBounds;
    }
}
