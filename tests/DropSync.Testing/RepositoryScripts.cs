using System.Diagnostics;

namespace DropSync.Testing;

/// <summary>Runs one of the repository's scripts (scripts/*.sh) from the repository root and answers what it printed.</summary>
public static class RepositoryScripts
{
    /// <summary>Runs <c>scripts/{name}</c> with <paramref name="arguments"/>; a non-zero exit throws with its output.</summary>
    public static async Task<string> RunAsync(string name, params string[] arguments)
    {
        var root = RepositoryPaths.Root();
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.ArgumentList.Add(Path.Combine(root, "scripts", name));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not run scripts/{name}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"scripts/{name} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }

        return await stdout.ConfigureAwait(false);
    }
}
