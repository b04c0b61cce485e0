// PCM16 chunks in, float samples out on the audio thread, with the count of samples played as the clock.
using System;

namespace Worldsmith
{
    /// <summary>
    /// The audio of a spoken turn between the network and the audio thread. Append takes the server's PCM16
    /// little-endian chunks; Read fills the audio callback's buffer (silence while nothing is queued) and counts
    /// the samples played, which is the clock the visemes follow and what the player heard.
    /// </summary>
    public sealed class PcmQueue
    {
        readonly object gate = new object();
        float[] samples = new float[24000];
        int start, count;
        long played;

        public int SampleRate { get; private set; } = 24000;

        /// <summary>Samples handed to the audio device since the last Clear.</summary>
        public long PlayedSamples { get { lock (gate) return played; } }

        public double PlayedMs => PlayedSamples * 1000.0 / SampleRate;

        public int Queued { get { lock (gate) return count; } }

        public void Append(byte[] pcm16, int sampleRate)
        {
            lock (gate)
            {
                SampleRate = sampleRate;
                var n = pcm16.Length / 2;
                if (count + n > samples.Length)
                {
                    var grown = new float[Math.Max(samples.Length * 2, count + n)];
                    for (var i = 0; i < count; i++) grown[i] = samples[(start + i) % samples.Length];
                    samples = grown;
                    start = 0;
                }
                for (var i = 0; i < n; i++)
                {
                    var value = (short)(pcm16[2 * i] | (pcm16[2 * i + 1] << 8));
                    samples[(start + count + i) % samples.Length] = value / 32768f;
                }
                count += n;
            }
        }

        /// <summary>Fills <paramref name="buffer"/> for the audio device; what is not queued yet is silence.</summary>
        public void Read(float[] buffer)
        {
            lock (gate)
            {
                var n = Math.Min(count, buffer.Length);
                for (var i = 0; i < n; i++) buffer[i] = samples[(start + i) % samples.Length];
                Array.Clear(buffer, n, buffer.Length - n);
                start = (start + n) % samples.Length;
                count -= n;
                played += n;
            }
        }

        public void Clear()
        {
            lock (gate)
            {
                start = count = 0;
                played = 0;
            }
        }
    }
}
