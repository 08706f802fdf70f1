using System.Diagnostics;

namespace DropSync.Core.Diagnostics;

/// <summary>
/// Where one request's time went, stage by stage, for the server's request timing log (issue 11, save → complete p99).
/// The API starts one per request only when that log is on; code on the request's path calls <see cref="Mark"/> at the
/// end of each stage, which costs nothing when no request is being timed. Ambient (an <see cref="AsyncLocal{T}"/>), so
/// the services need no new parameter for a diagnostic.
/// </summary>
public sealed class RequestStages
{
    private static readonly AsyncLocal<RequestStages?> Ambient = new();

    private readonly Lock _lock = new();
    private readonly List<(string Stage, long At)> _marks = [];

    private RequestStages(long startedAt) => StartedAt = startedAt;

    /// <summary>When the request reached the server's pipeline (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; }

    /// <summary>Starts timing the request running in this async flow.</summary>
    public static RequestStages Begin()
    {
        var stages = new RequestStages(Stopwatch.GetTimestamp());
        Ambient.Value = stages;
        return stages;
    }

    /// <summary>The request being timed in this async flow, if any: code that finishes its work on another thread (the
    /// metadata writer) takes it along and marks its stages there with <see cref="MarkAt"/>.</summary>
    public static RequestStages? Current => Ambient.Value;

    /// <summary>Ends the stage named <paramref name="stage"/> now, if this request is being timed.</summary>
    public static void Mark(string stage) => Ambient.Value?.Add(stage, Stopwatch.GetTimestamp());

    /// <summary>Ends the stage named <paramref name="stage"/> at <paramref name="timestamp"/> (a <see cref="Stopwatch"/>
    /// timestamp, not before the previous mark), from any thread.</summary>
    public void MarkAt(string stage, long timestamp) => Add(stage, timestamp);

    /// <summary>Each stage and its milliseconds (from the end of the one before, or from the start), in order.</summary>
    public IReadOnlyList<(string Stage, double Ms)> Durations()
    {
        lock (_lock)
        {
            var previous = StartedAt;
            var durations = new List<(string, double)>(_marks.Count);
            foreach (var (stage, at) in _marks)
            {
                durations.Add((stage, Stopwatch.GetElapsedTime(previous, at).TotalMilliseconds));
                previous = at;
            }

            return durations;
        }
    }

    private void Add(string stage, long at)
    {
        lock (_lock)
        {
            _marks.Add((stage, at));
        }
    }
}
