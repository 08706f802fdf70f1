using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace DropSync.Infra.Tests;

/// <summary>
/// cdk-nag's AwsSolutions pack over the synthesized templates (the primary stack alone, and the primary and replica
/// stacks of a two-region deployment), through scripts/cdk-nag.sh (which installs the pinned cdk-nag). Every finding must
/// be fixed in the stack or suppressed there with its reason (<see cref="NagSuppressions"/>); a suppression that matches
/// no finding is stale and fails too.
/// </summary>
public sealed class CdkNagTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_AwsSolutions_pack_finds_nothing_unsuppressed()
    {
        // The templates stay in artifacts/cdk-nag/ (ignored by git) to re-run the check by hand:
        //   scripts/cdk-nag.sh primary=artifacts/cdk-nag/primary.json ...
        var folder = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "artifacts", "cdk-nag"));
        var templates = new Dictionary<string, JObject>
        {
            ["primary"] = Stacks.WithoutReplica.PrimaryJson,
            ["primary-replicated"] = Stacks.WithReplica.PrimaryJson,
            ["replica"] = Stacks.WithReplica.ReplicaJson!,
        };
        var arguments = new List<string>();
        foreach (var (name, template) in templates)
        {
            var file = Path.Combine(folder.FullName, name + ".json");
            await File.WriteAllTextAsync(file, template.ToString());
            arguments.Add($"{name}={file}");
        }

        var (exitCode, stdout, stderr) = await RunAsync(Path.Combine(RepositoryRoot(), "scripts", "cdk-nag.sh"), arguments);
        Assert.True(exitCode is 0 or 1 && stdout.TrimStart().StartsWith('{'), $"scripts/cdk-nag.sh failed ({exitCode}): {stderr}");
        var report = JObject.Parse(stdout);
        output.WriteLine($"suppressed: {((JArray)report["suppressed"]!).Count}");
        foreach (var group in ((JArray)report["suppressed"]!).GroupBy(f => ((string)f["rule"]!).Split('[')[0]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {group.Key}: {group.Count()}");
        }

        Assert.True(exitCode == 0, "cdk-nag findings to fix in the stack or suppress with a reason (NagSuppressions.Add):\n" +
            report.ToString(Newtonsoft.Json.Formatting.Indented));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DropSync.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // The first run installs cdk-nag (npm ci, bounded by the script); later ones take seconds.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} took longer than 12 minutes");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
