namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>The AWS-mode tests: one DynamoDB Local and one fauxqs (S3 + SQS) for all of them, each test with its own tables and bucket.</summary>
[CollectionDefinition(Name)]
public sealed class AwsModeCollection : ICollectionFixture<DynamoDbServer>, ICollectionFixture<S3Server>
{
    public const string Name = "AWS mode";
}
