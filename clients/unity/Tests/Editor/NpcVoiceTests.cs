// What NpcVoice plays: the PCM queue that is its audio clock, and the viseme weights at a point of that clock.
using System.Collections.Generic;
using NUnit.Framework;
using Worldsmith.V1;

namespace Worldsmith.Tests
{
    public sealed class NpcVoiceTests
    {
        static VisemeEvent Viseme(string name, double start, double end, float weight = 1f) =>
            new VisemeEvent { Name = name, StartMs = start, EndMs = end, Weight = weight };

        [Test]
        public void QueuedPcmIsReadAsFloatsAndOnlyRealSamplesMoveTheClock()
        {
            var queue = new PcmQueue();
            queue.Append(new byte[] { 0x00, 0x40, 0x00, 0xC0 }, 24000); // 16384, -16384
            var buffer = new float[4];
            queue.Read(buffer);
            Assert.AreEqual(new[] { 0.5f, -0.5f, 0f, 0f }, buffer); // silence where nothing was queued yet
            Assert.AreEqual(2, queue.PlayedSamples);
            Assert.AreEqual(2 * 1000.0 / 24000, queue.PlayedMs, 1e-9);
        }

        [Test]
        public void TheQueueGrowsPastItsFirstSecondAndKeepsOrder()
        {
            var queue = new PcmQueue();
            var pcm = new byte[2 * 30000];
            for (var i = 0; i < 30000; i++) pcm[2 * i] = (byte)(i % 100);
            queue.Append(pcm, 24000);
            var buffer = new float[30000];
            queue.Read(buffer);
            Assert.AreEqual(99 / 32768f, buffer[29999], 1e-9);
            Assert.AreEqual(0, queue.Queued);
        }

        [Test]
        public void TheVisemePlayingHasItsWeightAndTheOthersNone()
        {
            var track = new VisemeTrack();
            track.Add(Viseme("viseme_sil", 0, 100));
            track.Add(Viseme("viseme_aa", 100, 300, 0.8f));
            var weights = new Dictionary<string, float>();
            track.WeightsAt(250, weights);
            Assert.AreEqual(0.8f, weights["viseme_aa"], 1e-6);
            Assert.AreEqual(0f, weights["viseme_sil"]);
        }

        [Test]
        public void ANewVisemeBlendsInFromTheOneBefore()
        {
            var track = new VisemeTrack();
            track.Add(Viseme("viseme_PP", 0, 100));
            track.Add(Viseme("viseme_aa", 100, 300));
            var weights = new Dictionary<string, float>();
            track.WeightsAt(100 + VisemeTrack.BlendMs / 2, weights);
            Assert.AreEqual(0.5f, weights["viseme_PP"], 1e-6);
            Assert.AreEqual(0.5f, weights["viseme_aa"], 1e-6);
        }

        [Test]
        public void PastTheTrackEveryShapeRests()
        {
            var track = new VisemeTrack();
            track.Add(Viseme("viseme_O", 0, 100));
            var weights = new Dictionary<string, float>();
            track.WeightsAt(500, weights);
            Assert.AreEqual(0f, weights["viseme_O"]);
        }
    }
}
