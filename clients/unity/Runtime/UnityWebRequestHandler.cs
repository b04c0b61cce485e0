// An HttpMessageHandler over UnityWebRequest, the only HTTP a WebGL build has.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine.Networking;

namespace Worldsmith
{
    /// <summary>
    /// Sends gRPC-Web requests through UnityWebRequest. The browser buffers the response, so
    /// a server stream's events arrive together when the stream ends: show a spinner rather
    /// than a progress bar on WebGL, and prefer short streams (one dialogue turn) there.
    /// </summary>
    public sealed class UnityWebRequestHandler : HttpMessageHandler
    {
        // Headers the browser sets itself and refuses from scripts.
        static readonly HashSet<string> ForbiddenHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "content-length", "host", "te", "connection", "user-agent", "accept-encoding", "transfer-encoding",
        };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content != null ? await request.Content.ReadAsByteArrayAsync() : null;
            using var web = new UnityWebRequest(request.RequestUri, request.Method.Method)
            {
                uploadHandler = body != null ? new UploadHandlerRaw(body) : null,
                downloadHandler = new DownloadHandlerBuffer(),
                disposeUploadHandlerOnDispose = true,
                disposeDownloadHandlerOnDispose = true,
            };
            CopyHeaders(request.Headers, web);
            if (request.Content != null) CopyHeaders(request.Content.Headers, web);

            var operation = web.SendWebRequest();
            using (cancellationToken.Register(web.Abort))
            {
                while (!operation.isDone) await Task.Yield();
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (web.result == UnityWebRequest.Result.ConnectionError)
                throw new HttpRequestException(web.error);

            var response = new HttpResponseMessage((HttpStatusCode)web.responseCode)
            {
                RequestMessage = request,
                Content = new ByteArrayContent(web.downloadHandler.data ?? Array.Empty<byte>()),
            };
            var headers = web.GetResponseHeaders();
            if (headers != null)
            {
                foreach (var header in headers)
                {
                    if (!response.Headers.TryAddWithoutValidation(header.Key, header.Value))
                        response.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
            return response;
        }

        static void CopyHeaders(System.Net.Http.Headers.HttpHeaders headers, UnityWebRequest web)
        {
            foreach (var header in headers)
            {
                if (!ForbiddenHeaders.Contains(header.Key))
                    web.SetRequestHeader(header.Key, string.Join(", ", header.Value));
            }
        }
    }
}
