// Adds the API key and the default deadline to every call made through a WorldsmithClient.
using System;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Worldsmith
{
    sealed class CallDefaultsInterceptor : Interceptor
    {
        readonly string authorization;
        readonly TimeSpan? defaultDeadline;

        public CallDefaultsInterceptor(string apiKey, TimeSpan? defaultDeadline)
        {
            authorization = string.IsNullOrEmpty(apiKey) ? null : "Bearer " + apiKey;
            this.defaultDeadline = defaultDeadline;
        }

        ClientInterceptorContext<TRequest, TResponse> WithDefaults<TRequest, TResponse>(
            ClientInterceptorContext<TRequest, TResponse> context)
            where TRequest : class where TResponse : class
        {
            var options = context.Options;
            if (authorization != null)
            {
                var headers = options.Headers ?? new Metadata();
                if (headers.Get("authorization") == null) headers.Add("authorization", authorization);
                options = options.WithHeaders(headers);
            }
            if (options.Deadline == null && defaultDeadline.HasValue)
                options = options.WithDeadline(DateTime.UtcNow + defaultDeadline.Value);
            return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
        }

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
            => continuation(request, WithDefaults(context));

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context,
            AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
            => continuation(request, WithDefaults(context));

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            ClientInterceptorContext<TRequest, TResponse> context,
            AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation)
            => continuation(WithDefaults(context));
    }
}
