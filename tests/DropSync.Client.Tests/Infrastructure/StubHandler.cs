using System.Collections.Concurrent;
using System.Net;

namespace DropSync.Client.Tests.Infrastructure;

/// <summary>An HTTP transport that answers from a function and records each request's path and body length.</summary>
public sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public ConcurrentQueue<(string Path, long Length)> Requests { get; } = new();

    public int Count(string path) => Requests.Count(r => r.Path == path);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The body as it would go on the wire (its length is what a server's limit measures).
        var length = request.Content is null ? 0 : (await request.Content.ReadAsByteArrayAsync(cancellationToken)).LongLength;
        Requests.Enqueue((request.RequestUri!.AbsolutePath, length));
        return answer(request);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
}
