using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Web;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Aws.Tests;

[Collection(S3Collection.Name)]
public sealed class S3BlockUrlsTests(S3Server server)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task A_presigned_put_accepts_the_blocks_bytes_and_a_presigned_get_returns_them()
    {
        var (store, urls) = await CreateAsync();
        var data = RandomNumberGenerator.GetBytes(300_000);
        var block = new BlockRef(BlockHash.Of(data), data.Length);

        var upload = urls.UploadUrl("u_alice", block, TimeSpan.FromMinutes(15));
        using (var put = await SendAsync(HttpMethod.Put, upload, data))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(data, await store.ReadAsync(block.Hash, None));
        var download = urls.DownloadUrl("u_alice", block.Hash, TimeSpan.FromMinutes(15));
        using var get = await SendAsync(HttpMethod.Get, download, null);
        Assert.True(get.IsSuccessStatusCode);
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_upload_url_signs_the_checksum_header_is_short_lived_and_names_one_key()
    {
        var (store, urls) = await CreateAsync();
        var block = new BlockRef(BlockHash.Of("scoped"u8), 6);
        var before = DateTimeOffset.UtcNow;

        var upload = urls.UploadUrl("u_alice", block, TimeSpan.FromMinutes(15));

        var uri = new Uri(upload.Url);
        var query = HttpUtility.ParseQueryString(uri.Query);
        Assert.Equal(Convert.ToBase64String(block.Hash.ToBytes()), upload.Headers["x-amz-checksum-sha256"]);
        Assert.Contains("x-amz-checksum-sha256", (query["X-Amz-SignedHeaders"] ?? "").Split(';'));
        Assert.Contains("x-amz-server-side-encryption", (query["X-Amz-SignedHeaders"] ?? "").Split(';'));
        // The SDK derives X-Amz-Expires from its own clock reading (whole seconds, and any skew correction it has learned),
        // not from ours: one second either way (61 for 60 was seen once in a full run).
        Assert.InRange(int.Parse(query["X-Amz-Expires"]!, CultureInfo.InvariantCulture), 899, 901);
        Assert.InRange(upload.ExpiresAt, before.AddMinutes(15).AddSeconds(-2), DateTimeOffset.UtcNow.AddMinutes(15).AddSeconds(2));
        Assert.EndsWith("/" + store.KeyOf(block.Hash), Uri.UnescapeDataString(uri.AbsolutePath), StringComparison.Ordinal);
        var download = new Uri(urls.DownloadUrl("u_alice", block.Hash, TimeSpan.FromMinutes(1)).Url);
        Assert.InRange(int.Parse(HttpUtility.ParseQueryString(download.Query)["X-Amz-Expires"]!, CultureInfo.InvariantCulture), 59, 61);
        Assert.Throws<ArgumentOutOfRangeException>(() => urls.UploadUrl("u_alice", block, TimeSpan.FromDays(8)));
    }

    [Fact]
    public async Task Where_the_server_verifies_checksums_other_bytes_are_refused()
    {
        var (store, urls) = await CreateAsync();
        var data = RandomNumberGenerator.GetBytes(10_000);
        var block = new BlockRef(BlockHash.Of(data), data.Length);
        var upload = urls.UploadUrl("u_alice", block, TimeSpan.FromMinutes(5));
        var other = RandomNumberGenerator.GetBytes(10_000);

        using var put = await SendAsync(HttpMethod.Put, upload, other);

        if (server.VerifiesChecksums)
        {
            Assert.False(put.IsSuccessStatusCode);
            Assert.False(await store.ExistsAsync(block.Hash, None));
        }
        else
        {
            // fauxqs stores whatever it gets; the block store's read still never returns the wrong bytes.
            var error = await Assert.ThrowsAsync<Core.Errors.DropSyncException>(() => store.ReadAsync(block.Hash, None));
            Assert.Equal("block_corrupt", error.Code);
        }
    }

    private async Task<(S3BlockStore Store, S3BlockUrls Urls)> CreateAsync()
    {
        var options = new S3BlockStoreOptions { BucketName = await server.CreateBucketAsync(), KmsKeyId = "alias/dropsync-test" };
        return (new S3BlockStore(server.Client, options), new S3BlockUrls(server.Client, options));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpMethod method, BlockTransferUrl url, byte[]? body)
    {
        using var request = new HttpRequestMessage(method, url.Url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in url.Headers)
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content?.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await Http.SendAsync(request);
    }
}
