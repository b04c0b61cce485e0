// A spoken turn's viseme events, and the blend shape weights they give at a point of the audio clock.
using System.Collections.Generic;
using Worldsmith.V1;

namespace Worldsmith
{
    /// <summary>
    /// The visemes of one utterance, in the order the server sends them (times in ms of the turn's audio).
    /// WeightsAt gives each viseme's weight at a time: the viseme playing, blended in from the one before it
    /// over its first <see cref="BlendMs"/> so the mouth moves rather than snaps.
    /// </summary>
    public sealed class VisemeTrack
    {
        public const double BlendMs = 40.0;
        readonly List<VisemeEvent> events = new List<VisemeEvent>();

        public int Count => events.Count;

        public void Add(VisemeEvent viseme) => events.Add(viseme);

        public void Clear() => events.Clear();

        /// <summary>Sets each viseme name's weight (0..1) at <paramref name="ms"/> into <paramref name="weights"/>,
        /// every name seen so far included (0 when not playing).</summary>
        public void WeightsAt(double ms, IDictionary<string, float> weights)
        {
            foreach (var viseme in events) weights[viseme.Name] = 0f;
            var index = events.FindIndex(v => v.StartMs <= ms && ms < v.EndMs);
            if (index < 0) return;
            var current = events[index];
            var blend = (float)System.Math.Min(1.0, (ms - current.StartMs) / BlendMs);
            if (index > 0 && blend < 1f)
            {
                var previous = events[index - 1];
                weights[previous.Name] = previous.Weight * (1f - blend);
                weights[current.Name] = current.Name == previous.Name ? current.Weight : current.Weight * blend;
            }
            else
            {
                weights[current.Name] = current.Weight;
            }
        }
    }
}
