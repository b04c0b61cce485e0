// One channel to a worldsmith server and a typed client per service.
using System;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Worldsmith.V1;

namespace Worldsmith
{
    /// <summary>
    /// Connects to a worldsmith server. Desktop and console builds speak native gRPC over
    /// HTTP/2 through YetAnotherHttpHandler; WebGL builds speak gRPC-Web to the server's
    /// HTTP/1.1 listener. Every call carries the API key and, unless it sets its own, the
    /// default deadline; pass a CancellationToken to any call to cancel it (the server stops
    /// the model work at the next token or diffusion step).
    /// </summary>
    public sealed class WorldsmithClient : IDisposable
    {
        readonly GrpcChannel channel;

        public WorldsmithClientOptions Options { get; }
        public DialogueService.DialogueServiceClient Dialogue { get; }
        public TextureService.TextureServiceClient Textures { get; }
        public SceneService.SceneServiceClient Scenes { get; }
        public AvatarService.AvatarServiceClient Avatars { get; }
        public AdminService.AdminServiceClient Admin { get; }

        /// <summary>Whether this transport can open bidirectional streams (Converse).</summary>
        public bool SupportsBidirectionalStreams => Options.ResolvedTransport == WorldsmithTransport.Http2;

        public WorldsmithClient(WorldsmithClientOptions options)
        {
            Options = options ?? throw new ArgumentNullException(nameof(options));
            var web = options.ResolvedTransport == WorldsmithTransport.GrpcWeb;
            channel = GrpcChannel.ForAddress(web ? options.WebAddress : options.Address, new GrpcChannelOptions
            {
                HttpHandler = HttpHandlers.Create(options.ResolvedTransport),
                DisposeHttpClient = true,
                MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
            });
            var invoker = channel.Intercept(new CallDefaultsInterceptor(options.ApiKey, options.DefaultDeadline));
            Dialogue = new DialogueService.DialogueServiceClient(invoker);
            Textures = new TextureService.TextureServiceClient(invoker);
            Scenes = new SceneService.SceneServiceClient(invoker);
            Avatars = new AvatarService.AvatarServiceClient(invoker);
            Admin = new AdminService.AdminServiceClient(invoker);
        }

        /// <summary>A deadline this far from now, for one call: <c>deadline: WorldsmithClient.In(120)</c>.</summary>
        public static DateTime In(double seconds) => DateTime.UtcNow.AddSeconds(seconds);

        public void Dispose() => channel.Dispose();
    }
}
