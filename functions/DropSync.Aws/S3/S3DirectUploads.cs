using Amazon.S3;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Aws.S3;

/// <summary>
/// Upload URLs at one S3 request per block. A block no one has stored is reserved for the asking user in the block
/// index (<see cref="DynamoDbBlockIndex.TryReserveAsync"/>: recorded as stored, the user as holder; kept by the asking
/// session's pin, and handed to the GC index by the session's expiry if no commit references it) and gets a presigned PUT straight to its final key <c>blocks/{sha256}</c> (checksum and
/// <c>If-None-Match: *</c> signed, <see cref="S3BlockUrls"/>): S3 refuses other bytes, and never overwrites — so the
/// object at the key, once there, is the block, and finish needs no HEAD, COPY or DELETE. The user is trusted to have
/// PUT it: one who did not only breaks their own file (a missing block), never reaches anyone else's content.
/// A block someone else stored first is not reservable; its URL is a staged one (<see cref="S3StagedBlockUrls"/>), so
/// the user proves they hold the bytes by uploading them (dedup never lets one user reach another's content by naming
/// its hash). The synchronous <see cref="UploadUrl"/> (no index at hand) always stages.
/// </summary>
public sealed class S3DirectBlockUrls : IBlockTransferUrls
{
    private readonly S3BlockUrls _direct;
    private readonly S3StagedBlockUrls _staged;
    private readonly DynamoDbBlockIndex _index;
    private readonly TimeProvider _time;

    public S3DirectBlockUrls(IAmazonS3 s3, S3BlockStoreOptions options, DynamoDbBlockIndex index, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _time = time ?? TimeProvider.System;
        _direct = new S3BlockUrls(s3, options, _time);
        _staged = new S3StagedBlockUrls(s3, options, _time);
    }

    public BlockTransferUrl UploadUrl(string userId, BlockRef block, TimeSpan lifetime) => _staged.UploadUrl(userId, block, lifetime);

    public async Task<IReadOnlyList<BlockTransferUrl>> UploadUrlsAsync(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var urls = new BlockTransferUrl[blocks.Count];
        var now = _time.GetUtcNow();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, blocks.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var block = blocks[i];
                urls[i] = await _index.TryReserveAsync(userId, block, now, ct).ConfigureAwait(false)
                    ? _direct.UploadUrl(userId, block, lifetime)
                    : _staged.UploadUrl(userId, block, lifetime);
            }).ConfigureAwait(false);
        return urls;
    }

    public BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime) => _direct.DownloadUrl(userId, hash, lifetime);
}
