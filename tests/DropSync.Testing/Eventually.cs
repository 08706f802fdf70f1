using System.Diagnostics;

namespace DropSync.Testing;

/// <summary>
/// Waiting for what a server or client does in the background (a fan-out, a watcher, a retention pass): the one poll
/// every test project uses, so each waits the same way and a timeout reads the same.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout.TotalSeconds} s");
            }

            await Task.Delay(Interval);
        }
    }

    /// <summary>
    /// Probes until <paramref name="done"/> holds for the result or <paramref name="timeout"/> passes, and returns the
    /// last result either way: the caller asserts on it, so a failure shows what was seen last, not just "timed out".
    /// </summary>
    public static async Task<T> ProbeUntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var result = await probe();
            if (done(result) || waited.Elapsed > timeout)
            {
                return result;
            }

            await Task.Delay(Interval);
        }
    }
}
