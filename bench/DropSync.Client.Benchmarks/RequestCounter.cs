using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using DropSync.Client.Api;

/// <summary>
/// Counts a device's HTTP requests by path and how many the server refused with 429 or 503: request counts hold on a
/// loaded machine where timings do not. With <c>DROPSYNC_BENCH_TIMELINE=&lt;file&gt;</c> it also appends each request of
/// a timed sync to that file (start and end in ms from the sync's start, method, path kind, body bytes): the time line
/// of an upload (when the first PUT goes out, when the list's last part does, how long the finish takes).
/// </summary>
internal sealed class RequestCounter() : DelegatingHandler(DropSyncApi.CreateDefaultHandler())
{
    private static readonly string? TimelineFile = Environment.GetEnvironmentVariable("DROPSYNC_BENCH_TIMELINE");
    private readonly ConcurrentDictionary<string, int> _byPath = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _timeline = new();
    private long _since = Stopwatch.GetTimestamp();
    private int _refused;

    public int Refused => _refused;

    public int Total => _byPath.Values.Sum();

    public void Reset()
    {
        _byPath.Clear();
        _timeline.Clear();
        Interlocked.Exchange(ref _refused, 0);
        _since = Stopwatch.GetTimestamp();
    }

    /// <summary>The busiest paths first, e.g. "/files/upload_batch 20, /files/list_folder 1".</summary>
    public string Summary() => string.Join(", ", _byPath.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key} {p.Value}"));

    /// <summary>Appends the requests since <see cref="Reset"/> to the time line file, under <paramref name="label"/>.</summary>
    public void WriteTimeline(string label)
    {
        if (TimelineFile is not null)
        {
            File.AppendAllLines(TimelineFile, [$"# {label}", .. _timeline.OrderBy(l => double.Parse(l.Split(' ')[0], CultureInfo.InvariantCulture))]);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "?";
        // Block URLs carry a hash per block: counted as one kind.
        var kind = path.StartsWith("/blocks/", StringComparison.Ordinal) ? "/blocks/*" : path;
        _byPath.AddOrUpdate(kind, 1, (_, n) => n + 1);
        var start = Stopwatch.GetElapsedTime(_since).TotalMilliseconds;
        var response = await base.SendAsync(request, cancellationToken);
        if (TimelineFile is not null)
        {
            var end = Stopwatch.GetElapsedTime(_since).TotalMilliseconds;
            var kindShown = path.StartsWith("/blocks/run", StringComparison.Ordinal) ? "/blocks/run" : kind;
            _timeline.Enqueue(string.Create(
                CultureInfo.InvariantCulture,
                $"{start:0.0} {end:0.0} {request.Method} {kindShown} {request.Content?.Headers.ContentLength ?? 0} {(int)response.StatusCode}"));
        }

        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            Interlocked.Increment(ref _refused);
        }

        return response;
    }
}
