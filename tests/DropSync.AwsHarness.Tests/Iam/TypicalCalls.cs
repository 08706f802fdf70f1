using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using DropSync.Infra;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.AwsHarness.Tests.Iam;

/// <summary>The ARNs of the synthesized stack's resources, as <see cref="FakeArnResolver"/> resolves them.</summary>
public sealed class StackArns(JsonObject template)
{
    public const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public FakeArnResolver Resolver { get; } = new(template);

    public string Bucket => Resolver.Arn(Resolver.LogicalId("AWS::S3::Bucket", "StorageBlocks"));

    public string Block => $"{Bucket}/{StorageConventions.BlocksKeyPrefix}{Hash}";

    public string Staged => $"{Bucket}/{StorageConventions.IncomingKeyPrefix}u1/{Hash}";

    public string Queue => Resolver.Arn(Resolver.LogicalId("AWS::SQS::Queue", "ChangeQueue"));

    public string DataKey => Resolver.Arn(Resolver.LogicalId("AWS::KMS::Key", "DataKey"));

    public string MasterKeySecret => Resolver.Ref(Resolver.LogicalId("AWS::SecretsManager::Secret", "MasterKey"));

    public string Table(string baseName) => Resolver.Arn(Resolver.LogicalId("AWS::DynamoDB::GlobalTable", "Tables" + baseName));

    public string Index(string baseName, string index) => $"{Table(baseName)}/index/{index}";

    /// <summary>An @connections call on the WebSocket stage: <c>{api}/{stage}/{METHOD}/@connections/{id}</c>.</summary>
    public string Connection(string method) =>
        $"arn:aws:execute-api:{FakeArnResolver.Region}:{FakeArnResolver.Account}:{Resolver.Ref(Resolver.LogicalId("AWS::ApiGatewayV2::Api", "WebSocketApi"))}" +
        $"/{DropSyncStack.WebSocketStageName}/{method}/@connections/L0SM9cOFvHcCIhw=";
}

/// <summary>
/// What each function's code calls, listed by hand from functions/DropSync.Aws and the stack's comments (the harness's
/// recorded calls replace this list in the end-to-end check). Every function reads the master key secret at start and
/// uses the data key for what it reads and writes (SSE-KMS objects, the encrypted queue, the tables).
/// Left out on purpose: the http function's DELETE of a staged upload (issue 10's defect, its own test) and its
/// @connections DELETE of a revoked device's connections (the contract adds that grant).
/// </summary>
public static class TypicalCalls
{
    public static IReadOnlyList<AwsCall> Of(string function, StackArns arns)
    {
        ArgumentNullException.ThrowIfNull(arns);
        var common = new (string Action, string Resource)[]
        {
            ("secretsmanager:GetSecretValue", arns.MasterKeySecret),
            ("kms:Decrypt", arns.DataKey),
        };
        (string Action, string Resource)[] calls = function switch
        {
            FunctionRole.Http =>
            [
                ("dynamodb:GetItem", arns.Table(Accounts)),
                ("dynamodb:Query", arns.Index(Entries, ChildrenIndex)),
                ("dynamodb:Query", arns.Index(Entries, DeletedIndex)),
                ("dynamodb:BatchGetItem", arns.Table(Entries)),
                ("dynamodb:PutItem", arns.Table(Entries)),
                ("dynamodb:UpdateItem", arns.Table(Entries)),
                ("dynamodb:ConditionCheckItem", arns.Table(Entries)),
                ("dynamodb:PutItem", arns.Table(Revisions)),
                ("dynamodb:PutItem", arns.Table(Journal)),
                ("dynamodb:Query", arns.Table(Journal)),
                ("dynamodb:BatchWriteItem", arns.Table(Blocks)),
                ("dynamodb:BatchGetItem", arns.Table(Blocks)),
                ("dynamodb:PutItem", arns.Table(UploadSessions)),
                ("dynamodb:Query", arns.Index(UploadSessions, OpenSessionsIndex)), // the cap on open upload sessions
                ("dynamodb:DeleteItem", arns.Table(UploadSessions)),
                ("dynamodb:Query", arns.Table(Sharing)),
                ("dynamodb:PutItem", arns.Table(Sharing)), // TransactWriteItems: IAM checks each item's own action
                ("dynamodb:PutItem", arns.Table(Notifications)),
                ("dynamodb:Query", arns.Index(Notifications, UnreadIndex)),
                ("s3:PutObject", arns.Block),
                ("s3:GetObject", arns.Block),
                ("s3:PutObject", arns.Staged), // the presigned PUT a client uploads a block to
                ("s3:GetObject", arns.Staged), // HEAD of the staged upload, and the COPY's source
                ("kms:GenerateDataKey", arns.DataKey),
                ("sqs:SendMessage", arns.Queue),
            ],
            FunctionRole.WebSocket =>
            [
                ("dynamodb:GetItem", arns.Table(Accounts)),
                ("dynamodb:Query", arns.Table(Entries)),
                ("dynamodb:Query", arns.Table(Journal)),
                ("dynamodb:Query", arns.Table(Sharing)),
                ("dynamodb:PutItem", arns.Table(Connections)),
                ("dynamodb:GetItem", arns.Table(Connections)),
                ("dynamodb:BatchWriteItem", arns.Table(Connections)),
                ("execute-api:ManageConnections", arns.Connection("POST")),
                ("kms:GenerateDataKey", arns.DataKey),
            ],
            FunctionRole.Fanout =>
            [
                ("sqs:ReceiveMessage", arns.Queue),
                ("sqs:DeleteMessage", arns.Queue),
                ("dynamodb:Query", arns.Table(Journal)),
                ("dynamodb:GetItem", arns.Table(Entries)),
                ("dynamodb:GetItem", arns.Table(Revisions)),
                ("dynamodb:GetItem", arns.Table(Accounts)),
                ("dynamodb:Query", arns.Table(Sharing)),
                ("dynamodb:PutItem", arns.Table(Notifications)),
                ("dynamodb:Query", arns.Index(Notifications, RecentIndex)),
                ("dynamodb:Query", arns.Table(Connections)),
                ("dynamodb:BatchWriteItem", arns.Table(Connections)),
                ("execute-api:ManageConnections", arns.Connection("POST")),
                ("kms:GenerateDataKey", arns.DataKey),
            ],
            FunctionRole.Maintenance =>
            [
                ("dynamodb:Query", arns.Index(Blocks, BlocksGcIndex)),
                ("dynamodb:DeleteItem", arns.Table(Blocks)),
                ("dynamodb:Query", arns.Index(UploadSessions, SessionsExpiryIndex)),
                ("dynamodb:DeleteItem", arns.Table(UploadSessions)),
                ("dynamodb:Scan", arns.Table(Entries)),
                // Raising a hot namespace's shard count: each entry's copy in its new shard, the old copies dropped.
                ("dynamodb:PutItem", arns.Table(Entries)),
                ("dynamodb:BatchWriteItem", arns.Table(Entries)),
                ("dynamodb:Query", arns.Table(Blocks)),
                ("dynamodb:Scan", arns.Table(Revisions)),
                ("dynamodb:GetItem", arns.Table(Revisions)),
                ("s3:ListBucket", arns.Bucket),
                ("s3:DeleteObject", arns.Block),
                ("s3:GetObjectTagging", arns.Block),
                ("s3:PutObjectTagging", arns.Block),
            ],
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, "not a DropSync function role"),
        };
        return [.. common.Concat(calls).Select(c => new AwsCall(function, c.Action, c.Resource))];
    }

    public static IReadOnlyList<AwsCall> OfAll(StackArns arns) =>
        [.. new[] { FunctionRole.Http, FunctionRole.WebSocket, FunctionRole.Fanout, FunctionRole.Maintenance }.SelectMany(f => Of(f, arns))];
}
