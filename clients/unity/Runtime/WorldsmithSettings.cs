// Where the server is and how to reach it: one asset shared by components and editor windows.
using System;
using UnityEngine;

namespace Worldsmith
{
    /// <summary>How calls travel to the server.</summary>
    public enum WorldsmithTransport
    {
        /// <summary>gRPC-Web on WebGL, native gRPC over HTTP/2 everywhere else.</summary>
        Auto,
        /// <summary>Native gRPC over HTTP/2 (YetAnotherHttpHandler); bidirectional streams work.</summary>
        Http2,
        /// <summary>gRPC-Web over HTTP/1.1 to the server's HTTP listener; no bidirectional streams.</summary>
        GrpcWeb,
    }

    [CreateAssetMenu(menuName = "Worldsmith/Server Settings", fileName = "WorldsmithSettings")]
    public sealed class WorldsmithSettings : ScriptableObject
    {
        [Tooltip("The gRPC port, e.g. http://127.0.0.1:50051 (https:// when the server has TLS).")]
        public string address = "http://127.0.0.1:50051";

        [Tooltip("The HTTP/1.1 listener (server.http_port) that WebGL builds call with gRPC-Web.")]
        public string webAddress = "http://127.0.0.1:8080";

        [Tooltip("API key sent as 'authorization: Bearer KEY'. Leave empty when the server runs without auth.")]
        public string apiKey = "";

        public WorldsmithTransport transport = WorldsmithTransport.Auto;

        [Tooltip("Deadline of calls that set none, in seconds (0: none). Generation streams get their own.")]
        public float defaultDeadlineSeconds = 30f;

        [Tooltip("Largest response accepted, in MiB (textures and avatars are large).")]
        public int maxReceiveMegabytes = 64;

        [NonSerialized] WorldsmithClient client;

        /// <summary>The shared client for these settings, created on first use.</summary>
        public WorldsmithClient Client => client ??= new WorldsmithClient(ToOptions());

        public WorldsmithClientOptions ToOptions() => new WorldsmithClientOptions
        {
            Address = address,
            WebAddress = webAddress,
            ApiKey = apiKey,
            Transport = transport,
            DefaultDeadline = defaultDeadlineSeconds > 0 ? TimeSpan.FromSeconds(defaultDeadlineSeconds) : (TimeSpan?)null,
            MaxReceiveMessageBytes = maxReceiveMegabytes * 1024 * 1024,
        };

        void OnValidate() => ResetClient();

        void OnDisable() => ResetClient();

        /// <summary>Closes the shared client so the next use picks up edited settings.</summary>
        public void ResetClient()
        {
            client?.Dispose();
            client = null;
        }
    }
}
