using Amazon.CDK;

namespace DropSync.Infra.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void Context_values_become_settings()
    {
        var app = new App(new AppProps
        {
            Context = new Dictionary<string, object>
            {
                ["stage"] = "prod",
                ["primaryRegion"] = "eu-west-1",
                ["replicaRegion"] = "eu-central-1",
                ["coldAfterDays"] = "120",
                ["webOrigins"] = "https://a.example.com, https://b.example.com",
                ["adapterLayerVersion"] = 26,
                ["lambdaAsset"] = "/tmp/x",
                ["fanoutMaxConcurrency"] = "40",
                ["gcShards"] = "64",
            },
        });
        var settings = DropSyncSettings.FromContext(app.Node);
        Assert.Equal("prod", settings.Stage);
        Assert.Equal("eu-west-1", settings.PrimaryRegion);
        Assert.Equal("eu-central-1", settings.ReplicaRegion);
        Assert.True(settings.ReplicationEnabled);
        Assert.Equal(120, settings.ColdAfterDays);
        Assert.Equal(["https://a.example.com", "https://b.example.com"], settings.WebOrigins);
        Assert.Equal(26, settings.AdapterLayerVersion);
        Assert.Equal("/tmp/x", settings.LambdaAssetPath);
        Assert.Equal("prod-", settings.TablePrefix);
        Assert.Equal(40, settings.FanoutMaxConcurrency);
        Assert.Equal(64, settings.GcShards);
    }

    [Fact]
    public void Without_context_the_defaults_apply_and_nothing_is_replicated()
    {
        var settings = DropSyncSettings.FromContext(new App().Node);
        Assert.Equal("dev", settings.Stage);
        Assert.False(settings.ReplicationEnabled);
        Assert.Equal(90, settings.ColdAfterDays);
        Assert.Empty(settings.WebOrigins);
        Assert.Equal("artifacts/lambda", settings.LambdaAssetPath);
        Assert.Equal(100, settings.FanoutMaxConcurrency);
        Assert.Equal(16, settings.GcShards); // today's shard count (DynamoDbTables.DefaultGcShards)
        Assert.Equal(DropSync.Aws.DynamoDb.DynamoDbTables.DefaultGcShards, settings.GcShards);
    }

    [Theory]
    [InlineData("stage", "Prod")]
    [InlineData("replicaRegion", "us-east-1")]
    [InlineData("coldAfterDays", "0")]
    [InlineData("coldAfterDays", "ninety")]
    [InlineData("webOrigins", "https://a.example.com/app")]
    [InlineData("adapterLayerVersion", "22")]
    [InlineData("fanoutMaxConcurrency", "1")]
    [InlineData("fanoutMaxConcurrency", "1001")]
    [InlineData("gcShards", "8")]
    public void Values_that_cannot_work_fail_the_synth(string key, string value)
    {
        var app = new App(new AppProps { Context = new Dictionary<string, object> { ["primaryRegion"] = "us-east-1", [key] = value } });
        Assert.Throws<ArgumentException>(() => DropSyncSettings.FromContext(app.Node));
    }

    [Fact]
    public void A_missing_asset_says_how_to_build_it()
    {
        var settings = new DropSyncSettings { LambdaAssetPath = Path.Combine(Path.GetTempPath(), "dropsync-no-such-asset") };
        var error = Assert.Throws<FileNotFoundException>(() => DropSyncApp.Build(new App(), settings));
        Assert.Contains("publish-lambda.sh", error.Message, StringComparison.Ordinal);
    }
}
