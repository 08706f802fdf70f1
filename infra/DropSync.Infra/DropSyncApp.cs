using Amazon.CDK;
using Amazon.CDK.AWS.Lambda;

namespace DropSync.Infra;

/// <summary>Builds DropSync's stacks into an app: <c>Program</c> for <c>cdk synth/deploy</c>, and the tests.</summary>
public static class DropSyncApp
{
    /// <summary>
    /// Feature flags of this CDK version that a new app should have on (cdk.json may override them). Set here so the
    /// template does not depend on which cdk.json a checkout has.
    /// </summary>
    public static IDictionary<string, object> FeatureFlags { get; } = new Dictionary<string, object>(StringComparer.Ordinal)
    {
        ["@aws-cdk/aws-iam:minimizePolicies"] = true,
        ["@aws-cdk/aws-lambda:recognizeLayerVersion"] = true,
        ["@aws-cdk/core:enablePartitionLiterals"] = true,
        ["@aws-cdk/aws-iam:standardizedServicePrincipals"] = true,
        ["@aws-cdk/aws-kms:aliasNameRef"] = true,
        ["@aws-cdk/aws-s3:serverSideEncryptionBucketKeyEnabled"] = true,
    };

    /// <summary>The stacks of one deployment.</summary>
    public sealed record Stacks(DropSyncStack Primary, ReplicaStack? Replica);

    /// <summary>Adds the stacks the settings call for to <paramref name="app"/>.</summary>
    public static Stacks Build(App app, DropSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();

        var assetPath = Path.GetFullPath(settings.LambdaAssetPath);
        if (!File.Exists(Path.Combine(assetPath, "bootstrap")))
        {
            throw new FileNotFoundException(
                $"No Lambda asset at {assetPath} (expected a 'bootstrap' file there). Run ./scripts/publish-lambda.sh first, " +
                "or pass -c lambdaAsset=<folder>.");
        }

        var code = Code.FromAsset(assetPath);
        ReplicaStack? replica = null;
        if (settings.ReplicationEnabled)
        {
            replica = new ReplicaStack(app, $"DropSync-{settings.Stage}-Replica", settings, new StackProps
            {
                Env = settings.ReplicaEnvironment,
                CrossRegionReferences = true,
                Description = $"DropSync {settings.Stage}: replica of the blocks bucket ({settings.ReplicaRegion})",
            });
        }

        var primary = new DropSyncStack(app, $"DropSync-{settings.Stage}", new DropSyncStackProps(settings, code, replica?.Target), new StackProps
        {
            Env = settings.PrimaryEnvironment,
            CrossRegionReferences = settings.ReplicationEnabled,
            Description = $"DropSync {settings.Stage}: storage, metadata, functions and APIs",
        });
        if (replica is not null)
        {
            primary.AddDependency(replica, "the primary bucket replicates into the replica bucket");
        }

        Tags.Of(app).Add("app", "dropsync");
        Tags.Of(app).Add("dropsync:stage", settings.Stage);
        return new Stacks(primary, replica);
    }
}
