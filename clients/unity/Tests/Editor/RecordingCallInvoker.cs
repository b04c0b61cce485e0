// A CallInvoker that answers nothing and remembers each call's method and options, as the channel would receive them.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;

namespace Worldsmith.Tests
{
    sealed class RecordingCallInvoker : CallInvoker
    {
        public sealed class Call
        {
            public string Path;
            public MethodType Type;
            public CallOptions Options;
        }

        public readonly List<Call> Calls = new List<Call>();

        public Call Last => Calls[Calls.Count - 1];

        void Record<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
            => Calls.Add(new Call { Path = method.FullName, Type = method.Type, Options = options });

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string host, CallOptions options, TRequest request)
        {
            Record(method, options);
            return null;
        }

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string host, CallOptions options, TRequest request)
        {
            Record(method, options);
            return new AsyncUnaryCall<TResponse>(Task.FromResult<TResponse>(null), Headers(), Ok, Trailers, Nothing);
        }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string host, CallOptions options, TRequest request)
        {
            Record(method, options);
            return new AsyncServerStreamingCall<TResponse>(new EmptyStream<TResponse>(), Headers(), Ok, Trailers, Nothing);
        }

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string host, CallOptions options)
            => throw new NotSupportedException("no worldsmith RPC streams from the client only");

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string host, CallOptions options)
        {
            Record(method, options);
            return new AsyncDuplexStreamingCall<TRequest, TResponse>(
                null, new EmptyStream<TResponse>(), Headers(), Ok, Trailers, Nothing);
        }

        static Task<Metadata> Headers() => Task.FromResult(new Metadata());
        static Status Ok() => Status.DefaultSuccess;
        static Metadata Trailers() => new Metadata();
        static void Nothing() { }

        sealed class EmptyStream<T> : IAsyncStreamReader<T>
        {
            public T Current => default;
            public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(false);
        }
    }
}
