using System.Collections.Concurrent;

namespace DropSync.Core.Guarding;

/// <summary>
/// Counts failed guesses (wrong passwords) per key in fixed windows: after <c>limit</c> failures in a window the key is
/// locked until the window ends. Successes are not counted (a right password never uses up the allowance), so a user
/// who mistypes now and then is never locked, while 40 wrong guesses in a row are — as Dropbox does. Time comes from the
/// <see cref="TimeProvider"/>, so tests can move it. The number of keys is bounded: past
/// <see cref="RateLimitOptions.MaxTrackedKeys"/> the windows that have ended are forgotten, then the oldest.
/// </summary>
public sealed class FailedAttemptLimiter(RateLimitOptions options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public RateLimitOptions Options => options;

    /// <summary>How long <paramref name="key"/> is still locked, or null if it may try.</summary>
    public TimeSpan? LockedFor(string key, int limit)
    {
        var now = clock.GetUtcNow();
        if (!_windows.TryGetValue(key, out var window) || window.Ends <= now)
        {
            return null;
        }

        return window.Failures >= limit ? window.Ends - now : null;
    }

    /// <summary>Counts one failure of <paramref name="key"/>.</summary>
    public void RecordFailure(string key)
    {
        var now = clock.GetUtcNow();
        if (_windows.Count >= options.MaxTrackedKeys)
        {
            Trim(now);
        }

        var window = _windows.AddOrUpdate(
            key,
            _ => new Window(now + options.FailureWindow),
            (_, existing) => existing.Ends <= now ? new Window(now + options.FailureWindow) : existing);
        window.Fail();
    }

    /// <summary>Forgets the failures of <paramref name="key"/> (after a right password).</summary>
    public void Reset(string key) => _windows.TryRemove(key, out _);

    /// <summary>
    /// Runs a password check for <paramref name="key"/>: refused (429 with Retry-After) while the key is locked; an
    /// error with one of <paramref name="failureCodes"/> counts as a failure; with <paramref name="resetOnSuccess"/>, a
    /// success forgets the earlier failures.
    /// </summary>
    public async Task<T> GuardAsync<T>(string key, int limit, bool resetOnSuccess, Func<Task<T>> attempt, params string[] failureCodes)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (LockedFor(key, limit) is { } wait)
        {
            throw Errors.RetryAfter.TooManyRequests("Too many wrong passwords; wait before trying again.", wait);
        }

        try
        {
            var result = await attempt().ConfigureAwait(false);
            if (resetOnSuccess)
            {
                Reset(key);
            }

            return result;
        }
        catch (Errors.DropSyncException e) when (failureCodes.Contains(e.Code, StringComparer.Ordinal))
        {
            RecordFailure(key);
            throw;
        }
    }

    private void Trim(DateTimeOffset now)
    {
        foreach (var (key, window) in _windows)
        {
            if (window.Ends <= now)
            {
                _windows.TryRemove(key, out _);
            }
        }

        var excess = _windows.Count - (options.MaxTrackedKeys * 3 / 4);
        if (excess > 0)
        {
            foreach (var (key, _) in _windows.OrderBy(w => w.Value.Ends).Take(excess).ToList())
            {
                _windows.TryRemove(key, out _);
            }
        }
    }

    private sealed class Window(DateTimeOffset ends)
    {
        public DateTimeOffset Ends { get; } = ends;

        private int _failures;

        public int Failures => Volatile.Read(ref _failures);

        public void Fail() => Interlocked.Increment(ref _failures);
    }
}
