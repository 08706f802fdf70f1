using DropSync.Core.Content;

namespace DropSync.Core.Ports;

/// <summary>A URL a client uses to move one block directly, with any headers it must send.</summary>
public sealed record BlockTransferUrl(string Url, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>
/// Hands out short-lived URLs scoped to one block (embedded: signed URLs on this server; AWS: presigned S3 URLs).
/// An upload URL is only good for the bytes whose SHA-256 is <c>hash</c>.
/// </summary>
public interface IBlockTransferUrls
{
    BlockTransferUrl UploadUrl(string userId, BlockRef block, TimeSpan lifetime);

    /// <summary>
    /// Upload URLs for blocks the user does not hold, in order. An adapter may decide per block how the upload will be
    /// proved (AWS mode: a block no one has stored goes straight to its final key, others through staging), so this
    /// may write; by default it is <see cref="UploadUrl"/> per block.
    /// </summary>
    Task<IReadOnlyList<BlockTransferUrl>> UploadUrlsAsync(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BlockTransferUrl>>(blocks.Select(b => UploadUrl(userId, b, lifetime)).ToList());

    BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime);

    /// <summary>
    /// One URL for consecutive blocks (at most <see cref="Limits.MaxRunBlocks"/> and <see cref="Limits.MaxRunBytes"/>),
    /// answering their bytes back to back; null where a store hands out only one URL per block (AWS: S3 presigns one
    /// object per URL), which is the default.
    /// </summary>
    BlockTransferUrl? RunDownloadUrl(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime) => null;

    /// <summary>
    /// One URL to PUT consecutive blocks of an upload's missing list (bounded as <see cref="RunDownloadUrl"/>), the body
    /// their bytes back to back; null where a store takes only one block per URL (AWS: a presigned S3 PUT is one object),
    /// which is the default.
    /// </summary>
    BlockTransferUrl? RunUploadUrl(string userId, IReadOnlyList<BlockRef> blocks, TimeSpan lifetime) => null;
}
