using System.Diagnostics;
using System.Globalization;
using DropSync.Core.Diagnostics;

namespace DropSync.Api.Hosting;

/// <summary>
/// A Debug line per request with where its time went (issue 11, save → complete p99): its stages (<see cref="RequestStages"/>:
/// authentication, then what the endpoint marks, then writing the answer), the GC pause time and collections of this
/// process meanwhile, how long a native heap trim (<see cref="NativeHeapTrim"/>) ran during it, and the thread pool's
/// queue at its start and end. Off unless the category <c>DropSync.Api.RequestTiming</c> logs at Debug: then nothing is
/// added to the pipeline at all. The latency benchmark turns it on and sets these lines beside each slow try.
/// </summary>
internal static class RequestTimingLog
{
    public const string Category = "DropSync.Api.RequestTiming";

    /// <summary>Times every request from here on, when the log is on.</summary>
    public static WebApplication UseRequestTimingLog(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            app.Use(async (context, next) =>
            {
                var startedUtc = DateTime.UtcNow;
                var (gen0, gen1, gen2, pause) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
                var queuedAtStart = ThreadPool.PendingWorkItemCount;
                var stages = RequestStages.Begin();
                try
                {
                    await next(context);
                }
                finally
                {
                    var end = Stopwatch.GetTimestamp();
                    var durations = stages.Durations();
                    var marked = durations.Sum(d => d.Ms);
                    var total = Stopwatch.GetElapsedTime(stages.StartedAt, end).TotalMilliseconds;
                    logger.LogDebug("{Line}", string.Create(CultureInfo.InvariantCulture,
                        $"request at {startedUtc:O}: {context.Request.Method} {SecretSafeLogging.LoggedPath(context.Request.Path)} " +
                        $"{context.Response.StatusCode} {total:0.0} ms: {string.Join(", ", durations.Select(d => $"{d.Stage} {d.Ms:0.0}"))}" +
                        $"{(durations.Count > 0 ? ", " : "")}rest {total - marked:0.0}; GC pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0.0} ms " +
                        $"(gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2}); " +
                        $"malloc_trim {NativeHeapTrim.MillisecondsWithin(stages.StartedAt, end):0.0} ms; " +
                        $"thread pool queue {queuedAtStart} at start, {ThreadPool.PendingWorkItemCount} at end, {ThreadPool.ThreadCount} threads"));
                }
            });
        }

        return app;
    }

    /// <summary>Ends the "auth" stage (authentication, rate limit, authorization) of a timed request.</summary>
    public static WebApplication MarkAuthorized(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).IsEnabled(LogLevel.Debug))
        {
            app.Use((context, next) =>
            {
                RequestStages.Mark("auth");
                return next(context);
            });
        }

        return app;
    }
}
