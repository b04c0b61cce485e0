// Which transport a client ends up with, and the options a settings asset turns into.
using System;
using NUnit.Framework;
using UnityEngine;

namespace Worldsmith.Tests
{
    public sealed class ClientOptionsTests
    {
        [Test]
        public void AutoIsNativeGrpcInTheEditor()
        {
            var options = new WorldsmithClientOptions();
            Assert.AreEqual(WorldsmithTransport.Auto, options.Transport);
            Assert.AreEqual(WorldsmithTransport.Http2, options.ResolvedTransport);
        }

        [Test]
        public void AChosenTransportIsKept()
        {
            var options = new WorldsmithClientOptions { Transport = WorldsmithTransport.GrpcWeb };
            Assert.AreEqual(WorldsmithTransport.GrpcWeb, options.ResolvedTransport);
        }

        [Test]
        public void GrpcWebClientsHaveEveryServiceButNoBidirectionalStreams()
        {
            using var client = new WorldsmithClient(new WorldsmithClientOptions { Transport = WorldsmithTransport.GrpcWeb });
            Assert.IsFalse(client.SupportsBidirectionalStreams);
            Assert.IsNotNull(client.Dialogue);
            Assert.IsNotNull(client.Textures);
            Assert.IsNotNull(client.Scenes);
            Assert.IsNotNull(client.Avatars);
            Assert.IsNotNull(client.Admin);
        }

#if !WORLDSMITH_YAHH
        [Test]
        public void NativeGrpcWithoutYetAnotherHttpHandlerSaysWhatToInstall()
        {
            var error = Assert.Throws<InvalidOperationException>(() => HttpHandlers.Create(WorldsmithTransport.Http2));
            StringAssert.Contains("YetAnotherHttpHandler", error.Message);
            StringAssert.Contains("GrpcWeb", error.Message);
        }
#endif

        [Test]
        public void SettingsBecomeOptions()
        {
            var settings = ScriptableObject.CreateInstance<WorldsmithSettings>();
            try
            {
                settings.address = "https://worlds.example:50051";
                settings.webAddress = "https://worlds.example:8443";
                settings.apiKey = "editor-key";
                settings.transport = WorldsmithTransport.GrpcWeb;
                settings.defaultDeadlineSeconds = 12.5f;
                settings.maxReceiveMegabytes = 8;

                var options = settings.ToOptions();

                Assert.AreEqual("https://worlds.example:50051", options.Address);
                Assert.AreEqual("https://worlds.example:8443", options.WebAddress);
                Assert.AreEqual("editor-key", options.ApiKey);
                Assert.AreEqual(WorldsmithTransport.GrpcWeb, options.Transport);
                Assert.AreEqual(TimeSpan.FromSeconds(12.5), options.DefaultDeadline);
                Assert.AreEqual(8 * 1024 * 1024, options.MaxReceiveMessageBytes);
            }
            finally
            {
                UnityEngine.Object.DestroyImmediate(settings);
            }
        }

        [Test]
        public void ZeroSecondsMeansNoDefaultDeadline()
        {
            var settings = ScriptableObject.CreateInstance<WorldsmithSettings>();
            try
            {
                settings.defaultDeadlineSeconds = 0f;
                Assert.IsNull(settings.ToOptions().DefaultDeadline);
            }
            finally
            {
                UnityEngine.Object.DestroyImmediate(settings);
            }
        }
    }
}
