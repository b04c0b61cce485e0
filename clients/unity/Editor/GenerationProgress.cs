// Renders a generation stream's queued/progress events as a progress bar with a preview.
using System;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using UnityEditor;
using UnityEngine;
using Worldsmith.V1;

namespace Worldsmith.Editor
{
    /// <summary>State of one running generation stream, drawn by the window that owns it.</summary>
    sealed class GenerationProgress : IDisposable
    {
        readonly CancellationTokenSource cancel = new CancellationTokenSource();
        Texture2D preview;

        public CancellationToken Token => cancel.Token;
        public string Status { get; private set; } = "connecting";
        public float Fraction { get; private set; }

        public void Apply(Queued queued)
        {
            Status = queued.Position == 0
                ? "queued: next"
                : $"queued: {queued.Position} ahead, about {queued.EtaSeconds:0} s";
            Fraction = 0;
        }

        public void Apply(Progress progress)
        {
            Status = $"{progress.Stage} {progress.Step}/{progress.Total}";
            Fraction = progress.Total > 0 ? (float)progress.Step / progress.Total : 0;
            if (progress.PreviewPng.Length > 0)
            {
                if (preview == null) preview = new Texture2D(2, 2) { hideFlags = HideFlags.HideAndDontSave };
                preview.LoadImage(progress.PreviewPng.ToByteArray());
            }
        }

        public void Cancel() => cancel.Cancel();

        /// <summary>Reads a generation stream to its end, handing each response to <paramref name="handle"/>
        /// and repainting after each. Returns null when it ended normally, else the message to show.</summary>
        public async Task<string> Follow<TResponse>(AsyncServerStreamingCall<TResponse> call, Action<TResponse> handle, Action repaint)
        {
            try
            {
                using (call)
                {
                    while (await call.ResponseStream.MoveNext(Token))
                    {
                        handle(call.ResponseStream.Current);
                        repaint();
                    }
                }
                return null;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
            {
                return "Cancelled.";
            }
            catch (OperationCanceledException)
            {
                return "Cancelled.";
            }
            catch (RpcException e)
            {
                return $"{e.StatusCode}: {e.Status.Detail}";
            }
        }

        /// <summary>Progress bar, Cancel button and the latest preview; true when Cancel was pressed.</summary>
        public bool Draw()
        {
            var rect = EditorGUILayout.GetControlRect(false, EditorGUIUtility.singleLineHeight);
            EditorGUI.ProgressBar(rect, Fraction, Status);
            var cancelled = GUILayout.Button("Cancel");
            if (preview != null)
            {
                var size = Mathf.Min(EditorGUIUtility.currentViewWidth - 20, 256);
                var area = GUILayoutUtility.GetRect(size, size, GUILayout.ExpandWidth(false));
                GUI.DrawTexture(area, preview, ScaleMode.ScaleToFit);
            }
            if (cancelled) Cancel();
            return cancelled;
        }

        public void Dispose()
        {
            cancel.Dispose();
            if (preview != null) UnityEngine.Object.DestroyImmediate(preview);
        }
    }
}
