// A MonoBehaviour that talks to one NPC: each turn streams into UnityEvents on the main thread.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using UnityEngine;
using UnityEngine.Events;
using Worldsmith.V1;

namespace Worldsmith
{
    [Serializable] public sealed class TextDeltaEvent : UnityEvent<string> { }
    [Serializable] public sealed class EmotionEvent : UnityEvent<string> { }
    [Serializable] public sealed class ActionEvent : UnityEvent<NpcAction> { }
    [Serializable] public sealed class TurnCompletedEvent : UnityEvent<TurnCompleted> { }
    [Serializable] public sealed class ConversationErrorEvent : UnityEvent<string> { }
    [Serializable] public sealed class TurnStartedEvent : UnityEvent<TurnStarted> { }
    [Serializable] public sealed class AudioChunkEvent : UnityEvent<AudioChunk> { }
    [Serializable] public sealed class VisemeEventEvent : UnityEvent<VisemeEvent> { }

    /// <summary>
    /// Streams NPC turns (DialogueService.Say) into UnityEvents: text as it is generated,
    /// emotion changes, action calls for game code, and the completed turn. Say() or React()
    /// while the NPC is still speaking interrupts it; disabling the component cancels the turn.
    /// Say is a server stream, so the component works on every transport, WebGL included.
    /// </summary>
    [AddComponentMenu("Worldsmith/NPC Conversation")]
    public sealed class NpcConversation : MonoBehaviour
    {
        public WorldsmithSettings settings;

        [Tooltip("Character id as stored on the server (DialogueService.UpsertCharacter).")]
        public string characterId;

        [Tooltip("Empty: a session is created on the first turn. Keep the id in your save game.")]
        public string sessionId;

        public string playerId = "player";

        [Tooltip("Longest a turn may take, in seconds, before it is cancelled.")]
        public float turnDeadlineSeconds = 30f;

        [Tooltip("Ask for the turn spoken: audio chunks and visemes beside the text (NpcVoice plays them).")]
        public bool speak;

        public TextDeltaEvent onTextDelta = new TextDeltaEvent();
        public EmotionEvent onEmotion = new EmotionEvent();
        public ActionEvent onAction = new ActionEvent();
        public TurnCompletedEvent onTurnCompleted = new TurnCompletedEvent();
        public ConversationErrorEvent onError = new ConversationErrorEvent();
        public TurnStartedEvent onTurnStarted = new TurnStartedEvent();
        public AudioChunkEvent onAudio = new AudioChunkEvent();
        public VisemeEventEvent onViseme = new VisemeEventEvent();

        CancellationTokenSource turn;
        // Action outcomes reported while the NPC speaks; told to it when the turn ends.
        readonly List<string> pendingOutcomes = new List<string>();

        public bool IsSpeaking => turn != null;
        public string CurrentEmotion { get; private set; } = "neutral";
        /// <summary>The turn most recently started; its audio may still be playing after it completed.</summary>
        public string LastTurnId { get; private set; } = "";

        /// <summary>The player says something; UI-friendly (bind it to an InputField's submit).</summary>
        public void Say(string utterance) => _ = RunTurnAsync(new SayRequest { Utterance = utterance });

        /// <summary>Something happened in the world that the NPC should react to.</summary>
        public void React(string eventDescription) =>
            _ = RunTurnAsync(new SayRequest { Event = new GameEvent { Description = eventDescription } });

        /// <summary>Stops the NPC mid-sentence; the server keeps what was delivered.</summary>
        public void Interrupt()
        {
            turn?.Cancel();
            turn = null;
        }

        /// <summary>The player cut a spoken turn short after <paramref name="playedMs"/> of its audio: the server
        /// keeps only the words heard by then (NpcVoice.Stop calls this).</summary>
        public async Task ReportHeardAsync(double playedMs)
        {
            if (string.IsNullOrEmpty(LastTurnId) || string.IsNullOrEmpty(sessionId)) return;
            try
            {
                await settings.Client.Dialogue.ReportHeardAsync(new ReportHeardRequest
                {
                    SessionId = sessionId,
                    TurnId = LastTurnId,
                    AudioPlayedMs = (uint)Math.Max(0, playedMs),
                }, cancellationToken: destroyCancellationToken);
            }
            catch (RpcException e)
            {
                onError.Invoke($"{e.StatusCode}: {e.Status.Detail}");
            }
        }

        internal void ReportActionResult(NpcAction action, bool success, string result)
        {
            var outcome = success ? "succeeded" : "failed";
            pendingOutcomes.Add($"The action {action.Name} (call {action.Call.CallId}) {outcome}: {result}");
            if (!IsSpeaking) TellPendingOutcomes();
        }

        void TellPendingOutcomes()
        {
            if (pendingOutcomes.Count == 0) return;
            var description = string.Join("\n", pendingOutcomes);
            pendingOutcomes.Clear();
            React(description);
        }

        void OnDisable() => Interrupt();

        /// <summary>Runs one turn to its end; awaitable from game code.</summary>
        public async Task RunTurnAsync(SayRequest request)
        {
            Interrupt();
            var mine = CancellationTokenSource.CreateLinkedTokenSource(destroyCancellationToken);
            turn = mine;
            try
            {
                var client = settings.Client;
                await EnsureSessionAsync(client, mine.Token);
                request.SessionId = sessionId;
                request.CharacterId = characterId ?? "";
                if (speak) request.Speech = new SpeechOptions { Enabled = true };
                using var call = client.Dialogue.Say(
                    request, deadline: WorldsmithClient.In(turnDeadlineSeconds), cancellationToken: mine.Token);
                while (await call.ResponseStream.MoveNext(mine.Token))
                    Dispatch(call.ResponseStream.Current);
                turn = null;
                TellPendingOutcomes();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || mine.IsCancellationRequested)
            {
                // Interrupted by a newer turn or by disabling the component.
            }
            catch (OperationCanceledException)
            {
            }
            catch (RpcException e)
            {
                onError.Invoke($"{e.StatusCode}: {e.Status.Detail}");
            }
            finally
            {
                if (turn == mine) turn = null;
                mine.Dispose();
            }
        }

        async Task EnsureSessionAsync(WorldsmithClient client, CancellationToken token)
        {
            if (!string.IsNullOrEmpty(sessionId)) return;
            var created = await client.Dialogue.CreateSessionAsync(new CreateSessionRequest
            {
                PlayerId = playerId,
                CharacterIds = { characterId },
            }, cancellationToken: token);
            sessionId = created.Session.Id;
        }

        void Dispatch(SayResponse response)
        {
            switch (response.EventCase)
            {
                case SayResponse.EventOneofCase.TurnStarted:
                    LastTurnId = response.TurnStarted.TurnId;
                    onTurnStarted.Invoke(response.TurnStarted);
                    break;
                case SayResponse.EventOneofCase.Audio:
                    onAudio.Invoke(response.Audio);
                    break;
                case SayResponse.EventOneofCase.Viseme:
                    onViseme.Invoke(response.Viseme);
                    break;
                case SayResponse.EventOneofCase.TextDelta:
                    onTextDelta.Invoke(response.TextDelta.Text);
                    break;
                case SayResponse.EventOneofCase.Emotion:
                    CurrentEmotion = response.Emotion.Emotion;
                    onEmotion.Invoke(CurrentEmotion);
                    break;
                case SayResponse.EventOneofCase.ActionCall:
                    onAction.Invoke(new NpcAction(this, response.ActionCall));
                    break;
                case SayResponse.EventOneofCase.TurnCompleted:
                    onTurnCompleted.Invoke(response.TurnCompleted);
                    break;
            }
        }
    }
}
