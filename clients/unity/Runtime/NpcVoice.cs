// Plays an NPC's spoken turns: the PCM into an AudioSource, the visemes onto a face's blend shapes, on the audio clock.
using System.Collections.Generic;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith
{
    /// <summary>
    /// Turns on speech for an <see cref="NpcConversation"/> and plays it: each AudioChunk streams into this object's
    /// AudioSource through a streaming clip, and each frame the viseme playing at the audio clock (the samples the
    /// device has played) drives the SkinnedMeshRenderer's blend shapes of the same name (a worldsmith avatar has
    /// all 15, "viseme_sil" to "viseme_U"). A new turn starts from silence; <see cref="PlayedMilliseconds"/> is
    /// how much of the turn the player heard.
    /// </summary>
    [AddComponentMenu("Worldsmith/NPC Voice")]
    [RequireComponent(typeof(AudioSource))]
    public sealed class NpcVoice : MonoBehaviour
    {
        public NpcConversation conversation;

        [Tooltip("The face whose blend shapes are named after the visemes (a worldsmith avatar's body mesh).")]
        public SkinnedMeshRenderer face;

        [Tooltip("Sample rate of the server's speech engine (ListVoices says it; hibari speaks at 24000 Hz).")]
        public int sampleRate = 24000;

        readonly PcmQueue audio = new PcmQueue();
        readonly VisemeTrack track = new VisemeTrack();
        readonly Dictionary<string, float> weights = new Dictionary<string, float>();
        readonly Dictionary<string, int> shapeIndex = new Dictionary<string, int>();
        AudioSource source;

        public double PlayedMilliseconds => audio.PlayedMs;

        /// <summary>The player cut the NPC off: it falls silent, and the server keeps only the words heard.</summary>
        public void Stop()
        {
            var heard = audio.PlayedMs;
            conversation.Interrupt();
            _ = conversation.ReportHeardAsync(heard);
            audio.Clear();
            track.Clear();
            foreach (var name in new List<string>(weights.Keys)) weights[name] = 0f;
            ApplyWeights();
        }

        void OnEnable()
        {
            source = GetComponent<AudioSource>();
            source.clip = AudioClip.Create("npc-voice", sampleRate, 1, sampleRate, true, audio.Read);
            source.loop = true;
            source.Play();
            conversation.speak = true;
            conversation.onTurnStarted.AddListener(OnTurnStarted);
            conversation.onAudio.AddListener(OnAudio);
            conversation.onViseme.AddListener(track.Add);
        }

        void OnDisable()
        {
            conversation.onTurnStarted.RemoveListener(OnTurnStarted);
            conversation.onAudio.RemoveListener(OnAudio);
            conversation.onViseme.RemoveListener(track.Add);
            source.Stop();
        }

        void OnTurnStarted(TurnStarted started)
        {
            audio.Clear();
            track.Clear();
        }

        void OnAudio(AudioChunk chunk) => audio.Append(chunk.Pcm.ToByteArray(), (int)chunk.SampleRate);

        void LateUpdate()
        {
            if (face == null || track.Count == 0) return;
            track.WeightsAt(audio.PlayedMs, weights);
            ApplyWeights();
        }

        void ApplyWeights()
        {
            if (face == null) return;
            foreach (var pair in weights)
            {
                if (!shapeIndex.TryGetValue(pair.Key, out var index))
                    index = shapeIndex[pair.Key] = face.sharedMesh.GetBlendShapeIndex(pair.Key);
                if (index >= 0) face.SetBlendShapeWeight(index, pair.Value * 100f);
            }
        }
    }
}
