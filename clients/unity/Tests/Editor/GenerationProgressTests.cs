// The editor windows' progress bar and the message a generation stream ends with.
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using NUnit.Framework;
using Worldsmith.Editor;
using Worldsmith.V1;

namespace Worldsmith.Tests
{
    public sealed class GenerationProgressTests
    {
        GenerationProgress progress;

        [SetUp]
        public void SetUp() => progress = new GenerationProgress();

        [TearDown]
        public void TearDown() => progress.Dispose();

        sealed class ScriptedStream : IAsyncStreamReader<GenerateSceneResponse>
        {
            readonly Queue<GenerateSceneResponse> responses;
            readonly System.Exception end;

            public ScriptedStream(System.Exception end, params GenerateSceneResponse[] responses)
            {
                this.responses = new Queue<GenerateSceneResponse>(responses);
                this.end = end;
            }

            public GenerateSceneResponse Current { get; private set; }

            public Task<bool> MoveNext(CancellationToken cancellationToken)
            {
                if (responses.Count > 0)
                {
                    Current = responses.Dequeue();
                    return Task.FromResult(true);
                }
                return end == null ? Task.FromResult(false) : Task.FromException<bool>(end);
            }
        }

        // The stream's tasks are already complete, so Follow finishes before it returns.
        string Follow(ScriptedStream stream, List<GenerateSceneResponse> handled, List<int> repaints)
        {
            var call = new AsyncServerStreamingCall<GenerateSceneResponse>(stream,
                Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });
            return progress.Follow(call, handled.Add, () => repaints.Add(handled.Count)).GetAwaiter().GetResult();
        }

        [Test]
        public void EveryResponseIsHandledThenRepaintedAndAFinishedStreamSaysNothing()
        {
            var handled = new List<GenerateSceneResponse>();
            var repaints = new List<int>();
            var stream = new ScriptedStream(null,
                new GenerateSceneResponse { Queued = new Queued { Position = 1 } },
                new GenerateSceneResponse { Progress = new Progress { Stage = "layout", Step = 1, Total = 2 } },
                new GenerateSceneResponse { Result = new SceneResult() });

            Assert.IsNull(Follow(stream, handled, repaints));
            Assert.AreEqual(3, handled.Count);
            CollectionAssert.AreEqual(new[] { 1, 2, 3 }, repaints);
        }

        [Test]
        public void AnErrorShowsItsCodeAndTheServersDetail()
        {
            var error = new RpcException(new Status(StatusCode.InvalidArgument, "interior.object_count: at most 1000 objects"));
            var message = Follow(new ScriptedStream(error), new List<GenerateSceneResponse>(), new List<int>());
            Assert.AreEqual("InvalidArgument: interior.object_count: at most 1000 objects", message);
        }

        [Test]
        public void CancellingIsNotAnError()
        {
            var cancelled = new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            Assert.AreEqual("Cancelled.", Follow(new ScriptedStream(cancelled), new List<GenerateSceneResponse>(), new List<int>()));
            var stopped = new System.OperationCanceledException();
            Assert.AreEqual("Cancelled.", Follow(new ScriptedStream(stopped), new List<GenerateSceneResponse>(), new List<int>()));
        }

        [Test]
        public void QueuedAndProgressFillTheBar()
        {
            progress.Apply(new Queued { Position = 0 });
            Assert.AreEqual("queued: next", progress.Status);
            progress.Apply(new Queued { Position = 2, EtaSeconds = 3f });
            Assert.AreEqual("queued: 2 ahead, about 3 s", progress.Status);
            Assert.AreEqual(0f, progress.Fraction);

            progress.Apply(new Progress { Stage = "denoise", Step = 5, Total = 20 });
            Assert.AreEqual("denoise 5/20", progress.Status);
            Assert.AreEqual(0.25f, progress.Fraction);
        }

        [Test]
        public void CancelFiresTheToken()
        {
            Assert.IsFalse(progress.Token.IsCancellationRequested);
            progress.Cancel();
            Assert.IsTrue(progress.Token.IsCancellationRequested);
        }

        [Test]
        public void SlugsAreShortFileNames()
        {
            Assert.AreEqual("mossy-cobblestones", WorldsmithEditorUtility.Slug("Mossy cobblestones!"));
            Assert.AreEqual("untitled", WorldsmithEditorUtility.Slug("  ?! "));
            Assert.That(WorldsmithEditorUtility.Slug(new string('a', 100)).Length, Is.LessThanOrEqualTo(32));
        }
    }
}
