using System.Text.Json.Nodes;
using Amazon.CDK;
using DropSync.Infra;

namespace DropSync.AwsHarness.Stack;

/// <summary>
/// Synthesises the real CDK app (<see cref="DropSyncApp.Build"/>) in-process to its CloudFormation template, as
/// <c>cdk synth</c> would. The asset path is a placeholder: the template only names the asset; the harness runs the
/// published server itself.
/// </summary>
public static class StackSynthesizer
{
    /// <summary>The CDK's jsii runtime is one node process per .NET process and is not meant for concurrent use.</summary>
    private static readonly Lock JsiiLock = new();

    public static JsonObject Synthesize(DropSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (JsiiLock)
        {
            var outdir = Directory.CreateTempSubdirectory("dropsync-harness-cdk-");
            try
            {
                var app = new App(new AppProps { Context = DropSyncApp.FeatureFlags, Outdir = outdir.FullName });
                var stacks = DropSyncApp.Build(app, settings with { LambdaAssetPath = PlaceholderAsset() });
                var assembly = app.Synth();
                var artifact = assembly.GetStackArtifact(stacks.Primary.ArtifactId);
                return JsonNode.Parse(File.ReadAllText(artifact.TemplateFullPath))!.AsObject();
            }
            finally
            {
                outdir.Delete(recursive: true);
            }
        }
    }

    /// <summary>A folder with a <c>bootstrap</c> file: enough for the CDK's asset, not a server.</summary>
    private static string PlaceholderAsset()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dropsync-harness-placeholder-asset");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "bootstrap"), "#!/bin/sh\nexit 1\n");
        return folder;
    }
}
