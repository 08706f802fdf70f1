using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Aws.S3;

/// <summary>
/// Direct-to-S3 uploads that keep the dedup rule (a user may only skip uploading a block they uploaded themselves). An
/// upload URL is a presigned PUT of <c>incoming/{userId}/{sha256}</c> (checksum-bound, as <see cref="S3BlockUrls"/>), so
/// the object's key proves who uploaded it. Download URLs are the stored blocks' (<see cref="S3BlockUrls"/>).
/// </summary>
public sealed class S3StagedBlockUrls : IBlockTransferUrls
{
    /// <summary>The key prefix of staged uploads; the bucket's lifecycle expires them after a day.</summary>
    public const string StagingPrefix = "incoming/";

    private readonly IAmazonS3 _s3;
    private readonly S3BlockStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly S3BlockUrls _downloads;

    public S3StagedBlockUrls(IAmazonS3 s3, S3BlockStoreOptions options, TimeProvider? time = null)
    {
        _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? TimeProvider.System;
        _downloads = new S3BlockUrls(s3, options, _time);
    }

    public static string StagingKey(string userId, BlockHash hash) => StagingPrefix + userId + "/" + hash.Hex;

    public BlockTransferUrl UploadUrl(string userId, BlockRef block, TimeSpan lifetime) =>
        new S3BlockUrls(_s3, _options with { KeyPrefix = StagingPrefix + userId + "/" }, _time).UploadUrl(userId, block, lifetime);

    public BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime) => _downloads.DownloadUrl(userId, hash, lifetime);
}

/// <summary>
/// The block index as seen with direct-to-S3 uploads: a block the user has not been recorded holding, but whose staged
/// upload (<see cref="S3StagedBlockUrls.StagingKey"/>) is in the bucket, is recorded as stored (a GC candidate until a
/// commit references it, so the copy is never unrecorded in blocks/), moved into the block store (a server-side copy; S3
/// checked its SHA-256 on upload), recorded for the user and the staged object deleted — then it is held. Staging is
/// only used for blocks someone else stored first (<see cref="S3DirectBlockUrls"/>): their proof must be this user's bytes.
/// </summary>
public sealed class S3StagedBlockIndex : IBlockIndex
{
    private readonly DynamoDb.DynamoDbBlockIndex _inner;
    private readonly IAmazonS3 _s3;
    private readonly S3BlockStoreOptions _options;
    private readonly TimeProvider _time;

    private readonly bool _stagesOnlyStoredBlocks;

    /// <param name="stagesOnlyStoredBlocks">
    /// True beside <see cref="S3DirectBlockUrls"/>, which stages only blocks someone stored first: a block no one stored
    /// then has no staged upload to adopt, and one index read spares an S3 HEAD per new block. (A staged URL handed out for a
    /// reservation that was collected before its upload came is then not adopted; the client asks again and PUTs directly.)
    /// </param>
    public S3StagedBlockIndex(DynamoDb.DynamoDbBlockIndex inner, IAmazonS3 s3, S3BlockStoreOptions options, TimeProvider? time = null, bool stagesOnlyStoredBlocks = false)
    {
        _stagesOnlyStoredBlocks = stagesOnlyStoredBlocks;
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? TimeProvider.System;
    }

    public Task RecordAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken) =>
        _inner.RecordAsync(userId, hash, size, at, cancellationToken);

    public async Task<IReadOnlyDictionary<BlockHash, int>> FindHeldAsync(string userId, IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        var held = new Dictionary<BlockHash, int>(await _inner.FindHeldAsync(userId, hashes, cancellationToken).ConfigureAwait(false));
        var missing = hashes.Distinct().Where(h => !held.ContainsKey(h)).ToList();
        if (_stagesOnlyStoredBlocks && missing.Count > 0)
        {
            var stored = await _inner.FindStoredAsync(missing, cancellationToken).ConfigureAwait(false);
            missing.RemoveAll(h => !stored.Contains(h));
        }

        var adopted = new System.Collections.Concurrent.ConcurrentDictionary<BlockHash, int>();
        await Parallel.ForEachAsync(
            missing,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (hash, ct) =>
            {
                if (await AdoptAsync(userId, hash, ct).ConfigureAwait(false) is { } size)
                {
                    adopted[hash] = size;
                }
            }).ConfigureAwait(false);
        foreach (var (hash, size) in adopted)
        {
            held[hash] = size;
        }

        return held;
    }

    public Task<IReadOnlyList<StoredBlock>> ListUnreferencedAsync(DateTimeOffset storedBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        _inner.ListUnreferencedAsync(storedBefore, now, limit, cancellationToken);

    public Task<bool> IsKnownAsync(BlockHash hash, CancellationToken cancellationToken) => _inner.IsKnownAsync(hash, cancellationToken);

    public Task<bool> TryForgetAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken) => _inner.TryForgetAsync(hash, now, cancellationToken);

    public Task CompleteForgetAsync(BlockHash hash, CancellationToken cancellationToken) => _inner.CompleteForgetAsync(hash, cancellationToken);

    private async Task<int?> AdoptAsync(string userId, BlockHash hash, CancellationToken cancellationToken)
    {
        var staged = S3StagedBlockUrls.StagingKey(userId, hash);
        GetObjectMetadataResponse head;
        try
        {
            head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.BucketName, Key = staged }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (head.ContentLength is <= 0 or > Limits.MaxBlockSize)
        {
            return null;
        }

        var copy = new CopyObjectRequest
        {
            SourceBucket = _options.BucketName,
            SourceKey = staged,
            DestinationBucket = _options.BucketName,
            DestinationKey = _options.KeyPrefix + hash.Hex,
            ContentType = "application/octet-stream",
            MetadataDirective = S3MetadataDirective.REPLACE,
        };
        if (_options.KmsKeyId is not null)
        {
            copy.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
            copy.ServerSideEncryptionKeyManagementServiceKeyId = _options.KmsKeyId;
        }

        var size = (int)head.ContentLength;
        var at = _time.GetUtcNow();
        await _inner.RecordStoredAsync(hash, size, at, cancellationToken).ConfigureAwait(false);
        await _s3.CopyObjectAsync(copy, cancellationToken).ConfigureAwait(false);
        await _inner.RecordHolderAsync(userId, hash, size, at, cancellationToken).ConfigureAwait(false);
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.BucketName, Key = staged }, cancellationToken).ConfigureAwait(false);
        return size;
    }
}
