using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Aws.S3;

/// <summary>Where and how blocks are kept in S3.</summary>
public sealed record S3BlockStoreOptions
{
    public required string BucketName { get; init; }

    /// <summary>Key prefix of the blocks; a block's key is the prefix followed by its 64 hex digits.</summary>
    public string KeyPrefix { get; init; } = "blocks/";

    /// <summary>The KMS key (id, ARN or alias) every block is encrypted with (SSE-KMS); null leaves it to the bucket's default.</summary>
    public string? KmsKeyId { get; init; }
}

/// <summary>
/// Blocks in S3 under content-addressed keys (<c>blocks/{sha256 hex}</c>). A put sends the SHA-256 as
/// <c>x-amz-checksum-sha256</c>, so S3 itself refuses bytes that do not match the name, and asks for SSE-KMS with the
/// configured key; a read verifies the SHA-256 again and never returns bytes that fail it. S3 writes whole objects
/// atomically, so a reader sees nothing or all of a block.
/// </summary>
public sealed class S3BlockStore : IBlockStore
{
    private readonly IAmazonS3 _s3;
    private readonly S3BlockStoreOptions _options;

    public S3BlockStore(IAmazonS3 s3, S3BlockStoreOptions options)
    {
        _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public string KeyOf(BlockHash hash) => _options.KeyPrefix + hash.Hex;

    public async Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        RequireSize(plaintext);
        var digest = SHA256.HashData(plaintext.Span);
        if (BlockHash.FromDigest(digest) != hash)
        {
            throw HashMismatch();
        }

        await PutObjectAsync(hash, plaintext, digest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Bytes the server has just hashed itself (<see cref="IBlockStore.PutHashedAsync"/>): the name is their SHA-256, so
    /// it is sent as the checksum as it is, without a second pass over the bytes. S3 still hashes the body and refuses
    /// one that does not match (400 BadDigest), which is answered as <c>block_hash_mismatch</c> with nothing stored.
    /// </summary>
    public async Task PutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        RequireSize(plaintext);
        try
        {
            await PutObjectAsync(hash, plaintext, hash.ToBytes(), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BadDigest")
        {
            throw HashMismatch();
        }
    }

    private async Task PutObjectAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, byte[] sha256, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.BucketName,
            Key = KeyOf(hash),
            InputStream = new MemoryStream(plaintext.ToArray(), writable: false),
            ChecksumSHA256 = Convert.ToBase64String(sha256),
            ContentType = "application/octet-stream",
            AutoCloseStream = true,
        };
        if (_options.KmsKeyId is not null)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            request.ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId;
        }

        await _s3.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static void RequireSize(ReadOnlyMemory<byte> plaintext)
    {
        if (plaintext.Length > Limits.MaxBlockSize)
        {
            throw Errors.TooLarge(ErrorCodes.BlockTooLarge, $"A block is at most {Limits.MaxBlockSize} bytes.");
        }
    }

    private static DropSyncException HashMismatch() => Errors.BadRequest(ErrorCodes.BlockHashMismatch, "The block's bytes do not hash to its name.");

    public async Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.BucketName, Key = KeyOf(hash) }, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.BucketName, Key = KeyOf(hash) }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw Errors.NotFound(ErrorCodes.BlockNotFound, $"Block {hash} is not stored.");
        }

        using (response)
        {
            if (response.ContentLength > Limits.MaxBlockSize)
            {
                throw Corrupt(hash);
            }

            var buffer = new MemoryStream(response.ContentLength is > 0 and <= Limits.MaxBlockSize ? (int)response.ContentLength : 0);
            var chunk = new byte[81920];
            int read;
            while ((read = await response.ResponseStream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > Limits.MaxBlockSize)
                {
                    throw Corrupt(hash);
                }

                buffer.Write(chunk, 0, read);
            }

            var bytes = buffer.ToArray();
            if (BlockHash.Of(bytes) != hash)
            {
                throw Corrupt(hash);
            }

            return bytes;
        }
    }

    public async Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken) =>
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.BucketName, Key = KeyOf(hash) }, cancellationToken).ConfigureAwait(false);

    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.BucketName, Prefix = _options.KeyPrefix };
        while (true)
        {
            var page = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
            {
                if (BlockHash.TryParse(item.Key[_options.KeyPrefix.Length..], out var hash))
                {
                    yield return (hash, new DateTimeOffset(DateTime.SpecifyKind(item.LastModified ?? DateTime.UtcNow, DateTimeKind.Utc).ToUniversalTime()));
                }
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    private static DropSyncException Corrupt(BlockHash hash) =>
        new(ErrorKind.Unavailable, ErrorCodes.BlockCorrupt, $"The stored bytes of block {hash} fail verification; they are not returned.");
}
