// Drives the Unity package's PcmQueue and VisemeTrack as NpcVoice does, from a spoken turn's events on stdin.
//   audio RATE BASE64   an AudioChunk: NpcVoice.OnAudio -> PcmQueue.Append
//   viseme NAME START END WEIGHT   a VisemeEvent: NpcConversation.onViseme -> VisemeTrack.Add
//   play N              the audio device reads N samples (PcmQueue.Read), then a frame's LateUpdate sets the
//                       face's weights at the audio clock; prints "tick PLAYED_MS NAME=W ... | S1 S2 ..." with the
//                       samples read as PCM16 values
//   stop                NpcVoice.Stop: prints "stopped PLAYED_MS" (what it reports as heard), then clears both
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Worldsmith;
using Worldsmith.V1;

static class VoicePlayer
{
    static void Main()
    {
        var audio = new PcmQueue();
        var track = new VisemeTrack();
        var weights = new Dictionary<string, float>();
        var inv = CultureInfo.InvariantCulture;
        string line;
        while ((line = Console.ReadLine()) != null)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "audio":
                    audio.Append(Convert.FromBase64String(parts[2]), int.Parse(parts[1], inv));
                    break;
                case "viseme":
                    track.Add(new VisemeEvent { Name = parts[1], StartMs = double.Parse(parts[2], inv),
                                                EndMs = double.Parse(parts[3], inv), Weight = float.Parse(parts[4], inv) });
                    break;
                case "play":
                    var buffer = new float[int.Parse(parts[1], inv)];
                    audio.Read(buffer);
                    if (track.Count > 0) track.WeightsAt(audio.PlayedMs, weights);
                    var shapes = string.Join(" ", weights.Select(w => w.Key + "=" + w.Value.ToString("R", inv)));
                    var pcm = string.Join(" ", buffer.Select(s => ((int)Math.Round(s * 32768f)).ToString(inv)));
                    Console.WriteLine("tick " + audio.PlayedMs.ToString("R", inv) + " " + shapes + " | " + pcm);
                    break;
                case "stop":
                    Console.WriteLine("stopped " + audio.PlayedMs.ToString("R", inv));
                    audio.Clear();
                    track.Clear();
                    break;
            }
        }
    }
}
