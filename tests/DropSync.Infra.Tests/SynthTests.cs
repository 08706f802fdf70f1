using System.Diagnostics;
using Amazon.CDK;
using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

/// <summary>
/// The whole app synthesises with the real Lambda asset (artifacts/lambda, which scripts/test.sh publishes first; when it
/// is missing this test publishes it once), with replication on, into a cloud assembly the CDK CLI can deploy.
/// </summary>
public sealed class SynthTests
{
    [Fact]
    public void The_app_synthesises_both_stacks_with_the_published_server()
    {
        var root = RepositoryRoot();
        var asset = Path.Combine(root, "artifacts", "lambda");
        if (!File.Exists(Path.Combine(asset, "bootstrap")))
        {
            Publish(root);
        }

        Assert.True(File.Exists(Path.Combine(asset, "DropSync.Api")), "the published server is missing from the asset");
        var outdir = Path.Combine(Path.GetTempPath(), "dropsync-synth-" + Guid.NewGuid().ToString("N"));
        try
        {
            var context = new Dictionary<string, object>(DropSyncApp.FeatureFlags)
            {
                ["stage"] = "synth",
                ["primaryRegion"] = "eu-west-1",
                ["replicaRegion"] = "eu-central-1",
                ["webOrigins"] = "https://app.example.com",
                ["lambdaAsset"] = asset,
            };
            var app = new App(new AppProps { Outdir = outdir, Context = context });
            DropSyncApp.Build(app, DropSyncSettings.FromContext(app.Node));
            var assembly = app.Synth();

            Assert.Equal(["DropSync-synth", "DropSync-synth-Replica"], assembly.Stacks.Select(s => s.StackName).Order(StringComparer.Ordinal));
            var manifest = JObject.Parse(File.ReadAllText(Path.Combine(outdir, "manifest.json")));
            Assert.NotNull(manifest["artifacts"]!["DropSync-synth"]);
            // The stack's only file asset is the server, staged with its bootstrap.
            var staged = Directory.GetDirectories(outdir, "asset.*");
            Assert.Contains(staged, d => File.Exists(Path.Combine(d, "bootstrap")) && File.Exists(Path.Combine(d, "DropSync.Api")));
            var template = JObject.Parse(File.ReadAllText(Path.Combine(outdir, "DropSync-synth.template.json")));
            // DropSync's four functions (the fifth, with replication on, is CDK's reader of the cross-region references).
            Assert.Equal(4, ((JObject)template["Resources"]!).Properties().Count(p =>
                (string?)p.Value["Type"] == "AWS::Lambda::Function" && (string?)p.Value["Properties"]!["Runtime"] == "provided.al2023"));
        }
        finally
        {
            Directory.Delete(outdir, recursive: true);
        }
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

    private static void Publish(string root)
    {
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(root, "scripts", "publish-lambda.sh"))
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"publish-lambda.sh failed:\n{output.Result}\n{errors}");
    }
}
