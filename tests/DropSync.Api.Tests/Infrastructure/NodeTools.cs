using System.Diagnostics;
using DropSync.Testing;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>
/// The repository's pinned Node tools (package.json: redocly, openapi-typescript, tsc), installed once per test run by
/// scripts/openapi-tools.sh, and a way to run them with a time limit.
/// </summary>
internal static class NodeTools
{
    private static readonly Lazy<Task<string>> BinDirectory = new(async () =>
    {
        var output = await RepositoryScripts.RunAsync("openapi-tools.sh");
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("DROPSYNC_NODE_BIN=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"scripts/openapi-tools.sh did not say where the tools are: {output}");
        return line["DROPSYNC_NODE_BIN=".Length..];
    });

    /// <summary>Runs node_modules/.bin/<paramref name="tool"/> (or node itself for "node") and answers its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string tool, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var bin = await BinDirectory.Value;
        var info = new ProcessStartInfo(tool == "node" ? "node" : Path.Combine(bin, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', info.ArgumentList)} took longer than {timeout ?? TimeSpan.FromMinutes(3)}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
