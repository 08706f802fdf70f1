namespace DropSync.Testing;

/// <summary>
/// The AWS-compatible servers that run on this machine, installed by scripts/aws-test-servers.sh (DynamoDB Local and
/// fauxqs, into .tools/aws-servers), once per process. DROPSYNC_DYNAMODB_LOCAL_DIR and DROPSYNC_FAUXQS_BIN point at an
/// existing install instead.
/// </summary>
public static class AwsTestServers
{
    private static readonly Lazy<Task<(string DynamoDbLocalDir, string FauxqsBin)>> Installed = new(RunInstallScriptAsync);

    public static Task<(string DynamoDbLocalDir, string FauxqsBin)> InstallAsync() => Installed.Value;

    /// <summary>Starts DynamoDB Local in memory on a free loopback port; answers the process and its endpoint.</summary>
    public static async Task<(ChildProcess Process, string Endpoint)> StartDynamoDbLocalAsync()
    {
        var (dir, _) = await InstallAsync().ConfigureAwait(false);
        var port = LocalPorts.Free();
        var process = ChildProcess.Start(
            "java",
            [
                "-Djava.library.path=" + Path.Combine(dir, "DynamoDBLocal_lib"), "-jar", Path.Combine(dir, "DynamoDBLocal.jar"),
                "-inMemory", "-sharedDb", "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ],
            workingDirectory: dir);
        return (process, $"http://127.0.0.1:{port}");
    }

    private static async Task<(string DynamoDbLocalDir, string FauxqsBin)> RunInstallScriptAsync()
    {
        var dir = Environment.GetEnvironmentVariable("DROPSYNC_DYNAMODB_LOCAL_DIR");
        var bin = Environment.GetEnvironmentVariable("DROPSYNC_FAUXQS_BIN");
        if (!string.IsNullOrEmpty(dir) && !string.IsNullOrEmpty(bin) && File.Exists(Path.Combine(dir, "DynamoDBLocal.jar")) && File.Exists(bin))
        {
            return (dir, bin);
        }

        var output = await RepositoryScripts.RunAsync("aws-test-servers.sh").ConfigureAwait(false);
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
        return (values["DROPSYNC_DYNAMODB_LOCAL_DIR"], values["DROPSYNC_FAUXQS_BIN"]);
    }
}
