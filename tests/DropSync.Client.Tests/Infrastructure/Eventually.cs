using System.Diagnostics;

namespace DropSync.Client.Tests.Infrastructure;

/// <summary>Waiting for something a background sync or watcher does.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"not reached within {timeout.TotalSeconds} s");
            }

            await Task.Delay(20);
        }
    }
}
