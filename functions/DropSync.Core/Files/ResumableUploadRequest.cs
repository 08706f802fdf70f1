using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>A file's declared layout, sent to start a resumable upload.</summary>
public sealed record ResumableUploadRequest(string? Path, long Size, IReadOnlyList<BlockRef> Blocks, WriteMode Mode, string? Rev, string? ContentHash);

/// <summary>Where to send each block the server still lacks.</summary>
public sealed record MissingBlock(string Hash, string Url, IReadOnlyDictionary<string, string> Headers);

/// <summary>The state of a resumable upload.</summary>
public sealed record ResumableUploadState(string UploadId, IReadOnlyList<MissingBlock> Missing, DateTimeOffset ExpiresAt, FileMetadata? Committed);

/// <summary>A file's blocks with where to fetch each.</summary>
public sealed record BlockList(FileMetadata Metadata, IReadOnlyList<BlockDownload> Blocks);

public sealed record BlockDownload(string Hash, int Size, long Offset, string Url, DateTimeOffset ExpiresAt);

internal static class BlockUrlExtensions
{
    public static MissingBlock ToMissing(this BlockTransferUrl url, BlockRef block) => new(block.Hash.Hex, url.Url, url.Headers);
}
