using System.Diagnostics;

namespace DropSync.Benchmarks;

/// <summary>
/// The <c>commits</c> step's load generator runs on the same 2 cores as the server, so its own CPU per commit takes
/// from the server's. With inline socket completions, the benchmark's socket engine runs each completed receive on its
/// epoll thread instead of queuing it to the thread pool: round 11 measured the client's CPU per commit 0.10 → 0.05–0.07
/// ms. The runtime reads the variable once, when the first socket is made, so it is set before any; the server is
/// started with the environment the benchmark was given (it must not change what the server does).
/// </summary>
internal static class ClientSocketCompletions
{
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static string? _givenValue;
    private static bool _changed;

    /// <summary>Turns inline completions on for this process; call before the first socket.</summary>
    public static void InlineInThisProcess()
    {
        _givenValue = Environment.GetEnvironmentVariable(InlineCompletionsVariable);
        Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        _changed = true;
    }

    /// <summary>Gives a child process the value this process was started with, not the one set here.</summary>
    public static void KeepGivenValue(ProcessStartInfo start)
    {
        if (!_changed)
        {
            return;
        }

        if (_givenValue is null)
        {
            start.Environment.Remove(InlineCompletionsVariable);
        }
        else
        {
            start.Environment[InlineCompletionsVariable] = _givenValue;
        }
    }
}
