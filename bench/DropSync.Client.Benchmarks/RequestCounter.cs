using System.Collections.Concurrent;
using System.Net;
using DropSync.Client.Api;

/// <summary>
/// Counts a device's HTTP requests by path and how many the server refused with 429 or 503: request counts hold on a
/// loaded machine where timings do not.
/// </summary>
internal sealed class RequestCounter() : DelegatingHandler(DropSyncApi.CreateDefaultHandler())
{
    private readonly ConcurrentDictionary<string, int> _byPath = new(StringComparer.Ordinal);
    private int _refused;

    public int Refused => _refused;

    public int Total => _byPath.Values.Sum();

    public void Reset()
    {
        _byPath.Clear();
        Interlocked.Exchange(ref _refused, 0);
    }

    /// <summary>The busiest paths first, e.g. "/files/upload_batch 20, /files/list_folder 1".</summary>
    public string Summary() => string.Join(", ", _byPath.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key} {p.Value}"));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "?";
        // Block URLs carry a hash per block: counted as one kind.
        _byPath.AddOrUpdate(path.StartsWith("/blocks/", StringComparison.Ordinal) ? "/blocks/*" : path, 1, (_, n) => n + 1);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            Interlocked.Increment(ref _refused);
        }

        return response;
    }
}
