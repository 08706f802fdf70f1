using System.Runtime.InteropServices;
using DropSync.Testing;

namespace DropSync.AwsHarness.Asset;

/// <summary>
/// The Lambda asset the harness runs: scripts/publish-lambda.sh's publish of functions/DropSync.Api with the deployed
/// asset's settings (self-contained, Release, the same <c>bootstrap</c>), for this machine's runtime id instead of
/// linux-arm64 (artifacts/lambda-x64 on x86_64). Published once per test process when missing; scripts/test.sh
/// publishes it beforehand.
/// </summary>
public static class LambdaAsset
{
    private static readonly Lazy<Task<string>> Published = new(PublishIfMissingAsync);

    /// <summary>The runtime id of this machine (the harness runs the function natively).</summary>
    public static string RuntimeId => RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    /// <summary>The folder: artifacts/lambda for linux-arm64 (the deployed asset itself), else artifacts/lambda-x64.</summary>
    public static string Folder => Path.Combine(RepositoryPaths.Root(), "artifacts", RuntimeId == "linux-arm64" ? "lambda" : "lambda-x64");

    /// <summary>The asset folder, with its <c>bootstrap</c>; publishes it first when it is not there.</summary>
    public static Task<string> EnsurePublishedAsync() => Published.Value;

    private static async Task<string> PublishIfMissingAsync()
    {
        var folder = Folder;
        if (File.Exists(Path.Combine(folder, "bootstrap")) && File.Exists(Path.Combine(folder, "DropSync.Api")))
        {
            return folder;
        }

        await RepositoryScripts.RunAsync("publish-lambda.sh", folder, RuntimeId).ConfigureAwait(false);
        return folder;
    }
}
