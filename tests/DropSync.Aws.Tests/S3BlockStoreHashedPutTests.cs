using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Aws.Tests;

/// <summary>
/// A block the server has hashed itself goes to S3 with its name as the checksum, not hashed a second time; S3 (where it
/// verifies checksums) still refuses bytes that do not match, and a read never returns them anyway.
/// </summary>
[Collection(S3Collection.Name)]
public sealed class S3BlockStoreHashedPutTests(S3Server server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_hashed_put_sends_the_names_digest_as_the_checksum_and_the_block_reads_back()
    {
        var (store, puts) = await CreateAsync();
        var data = RandomNumberGenerator.GetBytes(300_000);
        var hash = BlockHash.Of(data);

        await store.PutHashedAsync(hash, data, None);

        var put = Assert.Single(puts);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(data)), put.ChecksumSHA256);
        Assert.Equal(store.KeyOf(hash), put.Key);
        Assert.Equal(data, await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task A_hashed_put_under_the_wrong_name_carries_that_names_digest_and_is_never_read_back()
    {
        var (store, puts) = await CreateAsync();
        var data = RandomNumberGenerator.GetBytes(10_000);
        var wrong = BlockHash.Of(RandomNumberGenerator.GetBytes(10_000));

        var refused = await Record.ExceptionAsync(() => store.PutHashedAsync(wrong, data, None));

        // Not hashed again here: the PUT says the name, and S3 compares it with the bytes it gets.
        Assert.Equal(Convert.ToBase64String(wrong.ToBytes()), Assert.Single(puts).ChecksumSHA256);
        if (server.VerifiesChecksums)
        {
            Assert.Equal(ErrorCodes.BlockHashMismatch, Assert.IsType<DropSyncException>(refused).Code);
            Assert.False(await store.ExistsAsync(wrong, None));
        }
        else
        {
            // fauxqs stores whatever it gets; the block store's read still never returns the wrong bytes.
            Assert.Null(refused);
            var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(wrong, None));
            Assert.Equal(ErrorCodes.BlockCorrupt, error.Code);
        }

        // The unhashed put still checks the bytes itself and sends nothing.
        var mismatch = await Assert.ThrowsAsync<DropSyncException>(() => store.PutAsync(BlockHash.Of("other"u8), data, None));
        Assert.Equal(ErrorCodes.BlockHashMismatch, mismatch.Code);
        Assert.Single(puts);
    }

    private async Task<(S3BlockStore Store, ConcurrentQueue<PutObjectRequest> Puts)> CreateAsync()
    {
        var puts = new ConcurrentQueue<PutObjectRequest>();
        var client = DispatchProxy.Create<IAmazonS3, RecordingS3>();
        ((RecordingS3)(object)client).Start(server.Client, puts);
        var options = new S3BlockStoreOptions { BucketName = await server.CreateBucketAsync(), KmsKeyId = "alias/dropsync-test" };
        return (new S3BlockStore(client, options), puts);
    }

    /// <summary>Passes every call to the test's S3 client, keeping the PutObject requests.</summary>
    public class RecordingS3 : DispatchProxy
    {
        private IAmazonS3 _inner = null!;
        private ConcurrentQueue<PutObjectRequest> _puts = null!;

        public void Start(IAmazonS3 inner, ConcurrentQueue<PutObjectRequest> puts) => (_inner, _puts) = (inner, puts);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (args is [PutObjectRequest put, ..])
            {
                _puts.Enqueue(put);
            }

            try
            {
                return targetMethod!.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
    }
}
