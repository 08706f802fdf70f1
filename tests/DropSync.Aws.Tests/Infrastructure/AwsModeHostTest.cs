namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own AWS-mode host (fresh tables and bucket), stopped after it.</summary>
public abstract class AwsModeHostTest(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private AwsModeHost? _host;

    private protected AwsModeHost Host => _host ?? throw new InvalidOperationException("The host starts in InitializeAsync.");

    /// <summary>The servers, for a test that starts a host of its own besides.</summary>
    protected DynamoDbServer Dynamo => dynamo;

    protected S3Server S3 => s3;

    public async Task InitializeAsync() => _host = await AwsModeHost.StartAsync(dynamo, s3);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
