namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own <see cref="ColdTieringHost"/> (fresh tables and bucket), stopped after it.</summary>
public abstract class ColdTieringHostTest(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private ColdTieringHost? _tiering;

    private protected TaggingS3Proxy Proxy => Tiering.Proxy;

    private protected AwsModeHost Host => Tiering.Host;

    private protected string Bucket => Tiering.Bucket;

    private ColdTieringHost Tiering => _tiering ?? throw new InvalidOperationException("The host starts in InitializeAsync.");

    public async Task InitializeAsync() => _tiering = await ColdTieringHost.StartAsync(dynamo, s3);

    public async Task DisposeAsync()
    {
        if (_tiering is not null)
        {
            await _tiering.DisposeAsync();
        }
    }
}
