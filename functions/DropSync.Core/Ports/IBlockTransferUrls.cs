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

    BlockTransferUrl DownloadUrl(string userId, BlockHash hash, TimeSpan lifetime);
}
