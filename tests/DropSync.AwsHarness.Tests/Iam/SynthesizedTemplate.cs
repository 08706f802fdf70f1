using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using DropSync.Infra;

namespace DropSync.AwsHarness.Tests.Iam;

/// <summary>
/// The primary stack's template, synthesised in-process once per test run (as tests/DropSync.Infra.Tests does it: each
/// synth drives the jsii node process for seconds). A placeholder asset stands in for the published server.
/// </summary>
public static class SynthesizedTemplate
{
    public const string Stage = "test";
    public const string Region = "us-east-1";

    private static readonly Lazy<JsonObject> Primary = new(Synthesize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A fresh copy (callers may not share the mutable node tree).</summary>
    public static JsonObject Json => (JsonObject)Primary.Value.DeepClone();

    private static JsonObject Synthesize()
    {
        var app = new App(new AppProps { Context = DropSyncApp.FeatureFlags });
        var stacks = DropSyncApp.Build(app, new DropSyncSettings
        {
            Stage = Stage,
            PrimaryRegion = Region,
            WebOrigins = ["https://app.example.com"],
            LambdaAssetPath = PlaceholderAsset(),
        });
        var template = Template.FromStack(stacks.Primary).ToJSON();
        return JsonNode.Parse(Newtonsoft.Json.JsonConvert.SerializeObject(template))!.AsObject();
    }

    /// <summary>A folder with an empty <c>bootstrap</c>: enough for the asset, not a server.</summary>
    private static string PlaceholderAsset()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dropsync-harness-iam-tests-asset");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "bootstrap"), "#!/bin/sh\nexit 1\n");
        return folder;
    }
}

/// <summary>Tests that synthesise the CDK app: the jsii runtime is not meant for concurrent use, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SynthesisCollection
{
    public const string Name = "CDK synthesis";
}
