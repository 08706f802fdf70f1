using System.Text.Json.Serialization;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>A file's declared layout, sent to start a resumable upload.</summary>
/// <param name="MoreBlocks">The blocks are the list's first part (they may add up to less than <paramref name="Size"/>);
/// the rest follow by <see cref="UploadService.AddBlocksAsync"/>, so that a client can send blocks while it still cuts the file.</param>
/// <param name="ContentHashKind">The kind of content hash the revision gets (the client's opt-in; <paramref name="ContentHash"/>, if
/// given, is of this kind).</param>
public sealed record ResumableUploadRequest(
    string? Path,
    long Size,
    IReadOnlyList<BlockRef> Blocks,
    WriteMode Mode,
    string? Rev,
    string? ContentHash,
    bool MoreBlocks = false,
    ContentHashKind ContentHashKind = ContentHashKind.Pieces);

/// <summary>Where to send each block the server still lacks.</summary>
public sealed record MissingBlock(string Hash, string Url, IReadOnlyDictionary<string, string> Headers);

/// <summary>The state of a resumable upload.</summary>
/// <param name="UploadId">The upload's id: resume and finish with it.</param>
/// <param name="Missing">At most a page (<see cref="DropSyncOptions.BlockListPageSize"/>) of the blocks the server lacks,
/// each with a signed URL to PUT it.</param>
/// <param name="ExpiresAt">When the unfinished upload is dropped.</param>
/// <param name="Committed">The file, once the upload is finished.</param>
/// <param name="MoreMissing">How many more blocks are missing beyond <paramref name="Missing"/>: after PUTting those, ask
/// again (<c>POST /files/upload?uploadType=resumable&amp;upload_id=…</c>) for the next page.</param>
/// <param name="Runs">How <paramref name="Missing"/> can also be sent several blocks at a time: consecutive runs covering
/// it in order, each one PUT of their bytes back to back (embedded mode). Null when the server takes only one block per
/// URL (AWS mode: presigned S3 URLs); a client may always PUT blocks by their own URLs instead.</param>
public sealed record ResumableUploadState(
    string UploadId,
    IReadOnlyList<MissingBlock> Missing,
    DateTimeOffset ExpiresAt,
    FileMetadata? Committed,
    int MoreMissing,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<UploadRun>? Runs);

/// <summary>Consecutive blocks of an upload's <see cref="ResumableUploadState.Missing"/> sent in one PUT of <paramref name="Url"/>: the body is their bytes in order.</summary>
/// <param name="First">The index (in <see cref="ResumableUploadState.Missing"/>) of the run's first block.</param>
/// <param name="Count">How many blocks the run carries (at most <see cref="Content.Limits.MaxRunBlocks"/>).</param>
/// <param name="Size">The body's length: the blocks' sizes added (at most <see cref="Content.Limits.MaxRunBytes"/>); Content-Length must equal it.</param>
/// <param name="Headers">Headers the PUT must carry.</param>
public sealed record UploadRun(int First, int Count, long Size, string Url, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>A page of a file's blocks with where to fetch each.</summary>
/// <param name="Metadata">The file (its size is the whole file's).</param>
/// <param name="Blocks">The blocks from <paramref name="Start"/>, at most a page of them, each with its offset in the file.</param>
/// <param name="Start">The index of the first block listed.</param>
/// <param name="BlockCount">How many blocks the whole file has.</param>
/// <param name="HasMore">Whether blocks follow this page: ask again with <c>start</c> = <paramref name="NextStart"/>.</param>
/// <param name="NextStart">The index of the next page's first block; null on the last page.</param>
/// <param name="Runs">How the page's blocks can also be fetched several at a time: consecutive runs covering
/// <paramref name="Blocks"/> in order, each one GET of their bytes back to back (embedded mode). Null when the server
/// gives only one URL per block (AWS mode: presigned S3 URLs). A client that needs only some blocks of a run fetches
/// those by their own URLs.</param>
public sealed record BlockList(
    FileMetadata Metadata,
    IReadOnlyList<BlockDownload> Blocks,
    int Start,
    int BlockCount,
    bool HasMore,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? NextStart,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<BlockRun>? Runs);

public sealed record BlockDownload(string Hash, int Size, long Offset, string Url, DateTimeOffset ExpiresAt);

/// <summary>Consecutive blocks of a page fetched in one GET of <paramref name="Url"/>: the body is their bytes in order.</summary>
/// <param name="First">The index (in the file) of the run's first block.</param>
/// <param name="Count">How many blocks the run carries (at most <see cref="Content.Limits.MaxRunBlocks"/>).</param>
/// <param name="Offset">The first block's offset in the file.</param>
/// <param name="Size">The body's length: the blocks' sizes added (at most <see cref="Content.Limits.MaxRunBytes"/>).</param>
public sealed record BlockRun(int First, int Count, long Offset, long Size, string Url, DateTimeOffset ExpiresAt);

internal static class BlockUrlExtensions
{
    public static MissingBlock ToMissing(this BlockTransferUrl url, BlockRef block) => new(block.Hash.Hex, url.Url, url.Headers);
}
