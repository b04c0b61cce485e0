// Plain options for a WorldsmithClient, for code that does not use a settings asset.
using System;

namespace Worldsmith
{
    public sealed class WorldsmithClientOptions
    {
        /// <summary>gRPC address, e.g. "http://127.0.0.1:50051".</summary>
        public string Address = "http://127.0.0.1:50051";

        /// <summary>The server's HTTP/1.1 listener, used for gRPC-Web.</summary>
        public string WebAddress = "http://127.0.0.1:8080";

        /// <summary>Sent as "authorization: Bearer KEY" (empty: no header).</summary>
        public string ApiKey = "";

        public WorldsmithTransport Transport = WorldsmithTransport.Auto;

        /// <summary>Deadline applied to calls that set none (null: no deadline).</summary>
        public TimeSpan? DefaultDeadline = TimeSpan.FromSeconds(30);

        public int MaxReceiveMessageBytes = 64 * 1024 * 1024;

        /// <summary>The transport this platform ends up with.</summary>
        public WorldsmithTransport ResolvedTransport
        {
            get
            {
                if (Transport != WorldsmithTransport.Auto) return Transport;
#if UNITY_WEBGL && !UNITY_EDITOR
                return WorldsmithTransport.GrpcWeb;
#else
                return WorldsmithTransport.Http2;
#endif
            }
        }
    }
}
