using Amazon.CDK;
using Amazon.CDK.Assertions;
using DropSync.Infra;
using Newtonsoft.Json.Linq;

// The CDK's jsii runtime talks to one node process per test process and is not meant for concurrent use.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DropSync.Infra.Tests;

/// <summary>
/// The stacks under test, synthesised once per test run (each synth starts work in the jsii node process and takes
/// seconds): one deployment without replication, one with it. They use a placeholder asset, so no publish is needed.
/// </summary>
public static class Stacks
{
    public const string WebOrigin = "https://app.example.com";
    public const int ColdAfterDays = 45;
    public const int LayerVersion = 27;

    private static readonly Lazy<Deployment> Plain = new(() => Build(replicaRegion: null));
    private static readonly Lazy<Deployment> Replicated = new(() => Build(replicaRegion: "eu-central-1"));

    /// <summary>A deployment without replication (stage "test", us-east-1).</summary>
    public static Deployment WithoutReplica => Plain.Value;

    /// <summary>A deployment replicating to eu-central-1 (stage "test", eu-west-1).</summary>
    public static Deployment WithReplica => Replicated.Value;

    public static DropSyncSettings Settings(string? replicaRegion) => new()
    {
        Stage = "test",
        PrimaryRegion = replicaRegion is null ? "us-east-1" : "eu-west-1",
        ReplicaRegion = replicaRegion,
        ColdAfterDays = ColdAfterDays,
        WebOrigins = [WebOrigin],
        AdapterLayerVersion = LayerVersion,
        LambdaAssetPath = PlaceholderAsset(),
    };

    private static Deployment Build(string? replicaRegion)
    {
        var app = new App(new AppProps { Context = DropSyncApp.FeatureFlags });
        var stacks = DropSyncApp.Build(app, Settings(replicaRegion));
        var primary = Template.FromStack(stacks.Primary);
        var replica = stacks.Replica is null ? null : Template.FromStack(stacks.Replica);
        return new Deployment(primary, JObject.FromObject(primary.ToJSON()), replica, replica is null ? null : JObject.FromObject(replica.ToJSON()));
    }

    /// <summary>A folder with an empty <c>bootstrap</c>: enough for the asset, not a server.</summary>
    private static string PlaceholderAsset()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dropsync-infra-tests-asset");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "bootstrap"), "#!/bin/sh\nexit 1\n");
        return folder;
    }
}

/// <summary>One synthesised deployment: the primary stack's template (as assertions and as JSON) and the replica's, if any.</summary>
public sealed record Deployment(Template Primary, JObject PrimaryJson, Template? Replica, JObject? ReplicaJson)
{
    /// <summary>Every resource of a type, by logical id.</summary>
    public IEnumerable<(string Id, JObject Properties)> Resources(string type, JObject? template = null) =>
        ((JObject)(template ?? PrimaryJson)["Resources"]!).Properties()
            .Where(p => (string?)p.Value["Type"] == type)
            .Select(p => (p.Name, (JObject?)p.Value["Properties"] ?? []));

    /// <summary>The logical id of the one resource of a type whose id starts with <paramref name="prefix"/>.</summary>
    public string LogicalId(string type, string prefix) => Resources(type).Single(r => r.Id.StartsWith(prefix, StringComparison.Ordinal)).Id;
}
