using DropSync.Aws.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// An AWS-mode host whose S3 calls go through a <see cref="TaggingS3Proxy"/> (fauxqs has no object tagging), with
/// DROPSYNC_COLD_AFTER_DAYS=0 so a block is due for tiering as soon as no current revision names it: what the cold
/// tiering and reference backfill tests share.
/// </summary>
internal sealed class ColdTieringHost : IAsyncDisposable
{
    private ColdTieringHost(TaggingS3Proxy proxy, AwsModeHost host)
    {
        Proxy = proxy;
        Host = host;
        Bucket = host.Factory.Services.GetRequiredService<IConfiguration>()[AwsEnvironment.Bucket]!;
    }

    public TaggingS3Proxy Proxy { get; }

    public AwsModeHost Host { get; }

    public string Bucket { get; }

    public static async Task<ColdTieringHost> StartAsync(DynamoDbServer dynamo, S3Server s3)
    {
        var proxy = new TaggingS3Proxy(s3.Endpoint!);
        proxy.Start();
        try
        {
            var host = await AwsModeHost.StartAsync(dynamo, s3, new Dictionary<string, string>
            {
                [AwsEnvironment.S3Endpoint] = proxy.Endpoint,
                [AwsEnvironment.ColdAfterDays] = "0",
            });
            return new ColdTieringHost(proxy, host);
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}
