// Every call made through a WorldsmithClient's stubs carries the API key and the default deadline.
using System;
using System.Linq;
using Grpc.Core;
using Grpc.Core.Interceptors;
using NUnit.Framework;
using Worldsmith.V1;

namespace Worldsmith.Tests
{
    public sealed class CallDefaultsTests
    {
        static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

        RecordingCallInvoker channel;

        [SetUp]
        public void SetUp() => channel = new RecordingCallInvoker();

        CallInvoker WithDefaults(string apiKey, TimeSpan? deadline) =>
            channel.Intercept(new CallDefaultsInterceptor(apiKey, deadline));

        static string[] Authorization(CallOptions options) =>
            (options.Headers ?? new Metadata()).Where(e => e.Key == "authorization").Select(e => e.Value).ToArray();

        [Test]
        public void UnaryCallCarriesTheKeyAndTheDefaultDeadline()
        {
            var admin = new AdminService.AdminServiceClient(WithDefaults("editor-key", Deadline));
            var before = DateTime.UtcNow;

            admin.GetServerInfoAsync(new GetServerInfoRequest());

            var call = channel.Last;
            Assert.AreEqual("/worldsmith.v1.AdminService/GetServerInfo", call.Path);
            Assert.AreEqual(MethodType.Unary, call.Type);
            CollectionAssert.AreEqual(new[] { "Bearer editor-key" }, Authorization(call.Options));
            Assert.That(call.Options.Deadline, Is.Not.Null);
            Assert.That(call.Options.Deadline.Value, Is.InRange(before + Deadline, DateTime.UtcNow + Deadline));
        }

        [Test]
        public void StreamsCarryTheDefaultsToo()
        {
            var scenes = new SceneService.SceneServiceClient(WithDefaults("editor-key", Deadline));

            scenes.GenerateScene(new GenerateSceneRequest { Kind = SceneKind.Interior });

            Assert.AreEqual("/worldsmith.v1.SceneService/GenerateScene", channel.Last.Path);
            Assert.AreEqual(MethodType.ServerStreaming, channel.Last.Type);
            CollectionAssert.AreEqual(new[] { "Bearer editor-key" }, Authorization(channel.Last.Options));
            Assert.That(channel.Last.Options.Deadline, Is.Not.Null);
        }

        [Test]
        public void ConverseCarriesTheKey()
        {
            var dialogue = new DialogueService.DialogueServiceClient(WithDefaults("runtime-key", Deadline));

            dialogue.Converse();

            Assert.AreEqual("/worldsmith.v1.DialogueService/Converse", channel.Last.Path);
            Assert.AreEqual(MethodType.DuplexStreaming, channel.Last.Type);
            CollectionAssert.AreEqual(new[] { "Bearer runtime-key" }, Authorization(channel.Last.Options));
        }

        [Test]
        public void AnEmptyKeySendsNoAuthorizationHeader()
        {
            var admin = new AdminService.AdminServiceClient(WithDefaults("", Deadline));

            admin.GetServerInfoAsync(new GetServerInfoRequest());

            Assert.IsEmpty(Authorization(channel.Last.Options));
        }

        [Test]
        public void TheCallsOwnDeadlineAndKeyWin()
        {
            var admin = new AdminService.AdminServiceClient(WithDefaults("editor-key", Deadline));
            var own = DateTime.UtcNow.AddSeconds(5);
            var headers = new Metadata { { "authorization", "Bearer admin-key" } };

            admin.GetServerInfoAsync(new GetServerInfoRequest(), headers, own);

            Assert.AreEqual(own, channel.Last.Options.Deadline);
            CollectionAssert.AreEqual(new[] { "Bearer admin-key" }, Authorization(channel.Last.Options));
        }

        [Test]
        public void NoDefaultDeadlineLeavesCallsOpen()
        {
            var admin = new AdminService.AdminServiceClient(WithDefaults("editor-key", null));

            admin.GetServerInfoAsync(new GetServerInfoRequest());

            Assert.IsNull(channel.Last.Options.Deadline);
        }

        [Test]
        public void InIsADeadlineFromNow()
        {
            var before = DateTime.UtcNow;
            var deadline = WorldsmithClient.In(120);
            Assert.That(deadline, Is.InRange(before.AddSeconds(120), DateTime.UtcNow.AddSeconds(120)));
            Assert.AreEqual(DateTimeKind.Utc, deadline.Kind);
        }
    }
}
