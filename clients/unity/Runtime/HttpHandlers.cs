// Picks the HttpMessageHandler under the gRPC channel for the platform and transport.
using System;
using System.Net.Http;
using Grpc.Net.Client.Web;

namespace Worldsmith
{
    static class HttpHandlers
    {
        public static HttpMessageHandler Create(WorldsmithTransport transport)
        {
            if (transport == WorldsmithTransport.GrpcWeb)
            {
#if UNITY_WEBGL && !UNITY_EDITOR
                // Browsers give Unity no sockets: requests go through UnityWebRequest (fetch).
                return new GrpcWebHandler(GrpcWebMode.GrpcWeb, new UnityWebRequestHandler());
#else
                return new GrpcWebHandler(GrpcWebMode.GrpcWeb, new HttpClientHandler());
#endif
            }
#if WORLDSMITH_YAHH && !(UNITY_WEBGL && !UNITY_EDITOR)
            // Unity's own HttpClient has no HTTP/2; YetAnotherHttpHandler brings it (hyper, via native code).
            return new Cysharp.Net.Http.YetAnotherHttpHandler { Http2Only = true };
#else
            throw new InvalidOperationException(
                "Native gRPC needs HTTP/2, which Unity's HttpClient lacks. Install YetAnotherHttpHandler " +
                "(Package Manager > Add package from git URL: " +
                "https://github.com/Cysharp/YetAnotherHttpHandler.git?path=src/YetAnotherHttpHandler), " +
                "or set the transport to GrpcWeb and start the server with --http-port.");
#endif
        }
    }
}
