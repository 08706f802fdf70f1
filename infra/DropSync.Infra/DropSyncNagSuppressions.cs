using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.IAM;

namespace DropSync.Infra;

/// <summary>
/// The cdk-nag AwsSolutions findings DropSync accepts, each with its reason (tests/DropSync.Infra.Tests/CdkNagTests runs
/// the pack and fails on any finding not fixed or listed here, and on a suppression that matches nothing).
/// </summary>
public static class DropSyncNagSuppressions
{
    /// <summary>The logical-id prefixes of the providers CDK adds for cross-region references (SSM-parameter readers and writers).</summary>
    public static readonly IReadOnlyList<string> CrossRegionProviders = ["CustomCrossRegionExport"];

    private const string GrantWildcards =
        "CDK's grant methods (Table/Bucket/Key.grant*) name action families (s3:GetObject*, s3:List*, kms:GenerateDataKey*, …) " +
        "and the item ARNs of one bucket or the indexes of one table; each statement is scoped to DropSync's own resources. " +
        "Resource wildcards: <table>/index/* (the table's own indexes), <bucket>/* or /blocks/* or /incoming/* (objects of the blocks bucket, " +
        "keys are content hashes not known in advance), @connections/* of the one WebSocket stage (connection ids are per client).";

    /// <summary>The primary stack's suppressions; call once, after every grant.</summary>
    public static void Apply(DropSyncStack stack, bool replicated)
    {
        ArgumentNullException.ThrowIfNull(stack);

        foreach (var function in stack.Functions.Values)
        {
            NagSuppressions.Add(DefaultPolicy(function.Role!), new NagSuppression("AwsSolutions-IAM5", GrantWildcards,
                AppliesTo: ["Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
                    "Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*"],
                AppliesToRegex: [@"^Resource::<Tables\w+\.Arn>/index/\*$", @"^Resource::<StorageBlocks\w+\.Arn>/(blocks/|incoming/)?\*$",
                    @"^Resource::arn:aws:execute-api:[a-z0-9-]+:<AWS::AccountId>:<WebSocketApi\w+>/live/\*/@connections/\*$"]));
        }

        if (stack.Storage.ReplicationRole is { } replicationRole)
        {
            NagSuppressions.Add(DefaultPolicy(replicationRole), new NagSuppression("AwsSolutions-IAM5",
                "S3 replication reads every object version of the source bucket and writes replicas into the replica bucket: object ARNs " +
                "(<bucket>/*) of exactly those two buckets, as the S3 replication guide's policy has them.",
                AppliesToRegex: [@"^Resource::<StorageBlocks\w+\.Arn>/\*$", @"^Resource::<ExportsReader\w+\./cdk/exports/.+>/\*$"]));
        }

        NagSuppressions.Add(stack.Storage.Bucket, new NagSuppression("AwsSolutions-S1",
            "Server access logs would log every presigned block GET/PUT (billions a day at 10M DAU) into another bucket at a cost near the " +
            "data's own requests. Who fetched what is in the functions' logs (they sign every URL) and CloudTrail S3 data events can be turned on " +
            "for an investigation (docs/deploy.md)."));

        NagSuppressions.Add(stack.MasterKey, new NagSuppression("AwsSolutions-SMG4",
            "The master key derives long-lived keys (block-URL signing, link tokens, stored token hashes); rotating it invalidates every share link " +
            "and session, so it is rotated by a planned procedure (docs/deploy.md), not on a schedule."));

        const string InAppAuth =
            "DropSync authenticates in the app (bearer tokens, app passwords, link tokens and passwords, sign-in) on every route, including " +
            "anonymous ones (sign-in, shared links, the web app); an API Gateway authorizer would add a Lambda call per request and duplicate it.";
        foreach (var route in stack.Node.FindAll().OfType<CfnRoute>())
        {
            NagSuppressions.Add(route, new NagSuppression("AwsSolutions-APIG4", InAppAuth));
        }

        NagSuppressions.Add(stack.WebSocketStage, new NagSuppression("AwsSolutions-APIG1",
            "WebSocket stage access logs need the region's API Gateway account setting (a CloudWatch role, AWS::ApiGateway::Account), an " +
            "account-wide singleton this stack must not own; the WebSocket function logs every $connect/$disconnect and the errors alarm watches it."));

        if (replicated)
        {
            CrossRegionProvidersSuppressions(stack, "reader");
        }
    }

    /// <summary>The replica stack's suppressions.</summary>
    public static void Apply(ReplicaStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        NagSuppressions.Add(stack.Bucket, new NagSuppression("AwsSolutions-S1",
            "The replica receives only S3 replication's writes and is read only after a failover; its source's reasons hold (no access logs for " +
            "presigned block traffic; CloudTrail data events on demand)."));
        CrossRegionProvidersSuppressions(stack, "writer");
    }

    private static void CrossRegionProvidersSuppressions(Stack stack, string kind) =>
        NagSuppressions.AddToTemplate(stack, CrossRegionProviders,
            new NagSuppression("AwsSolutions-L1",
                $"CDK's own cross-region reference {kind} (a custom-resource provider CDK adds at synthesis, runtime chosen by CDK 2.160)."),
            new NagSuppression("AwsSolutions-IAM4",
                $"CDK's cross-region reference {kind} provider uses AWSLambdaBasicExecutionRole; CDK creates it and its role.",
                AppliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]),
            new NagSuppression("AwsSolutions-IAM5",
                $"CDK's cross-region reference {kind} reads/writes the SSM parameters under /cdk/exports/ that carry the references.",
                AppliesToRegex: [@"^Resource::arn:aws:ssm:[a-z0-9-]+:<AWS::AccountId>:parameter/cdk/exports/.*\*$"]));

    private static CfnResource DefaultPolicy(IRole role) =>
        (CfnResource)(role.Node.TryFindChild("DefaultPolicy") ?? throw new InvalidOperationException($"{role.Node.Path} has no default policy"))
            .Node.DefaultChild!;
}
