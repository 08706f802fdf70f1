using DropSync.Core.Accounts;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Retention;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>Reading a file's content: the revision asked for (current or named), its blocks a page at a time with download URLs, or a stream of it.</summary>
public sealed partial class FileService
{
    /// <summary>The revision to read: the current one, or the named one of this path.</summary>
    public async Task<(FileMetadata Metadata, FileRevision Revision)> ResolveRevisionAsync(Caller caller, string? rawPath, string? rev, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        return await ReadRevisionAsync(at, path, rev, ct);
    }

    /// <summary>The revision at a resolved location (also used for shared links, which have no caller).</summary>
    public async Task<(FileMetadata Metadata, FileRevision Revision)> ReadRevisionAsync(Location at, DropPath shownAs, string? rev, CancellationToken ct)
    {
        FileRevision? revision;
        if (string.IsNullOrEmpty(rev))
        {
            var entry = await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
            if (entry is null || entry.IsDeleted)
            {
                throw NotFound(shownAs);
            }

            if (entry.Kind == EntryKind.Folder)
            {
                throw Errors.Errors.Conflict(ErrorCodes.PathIsFolder, $"\"{shownAs}\" is a folder; download its files one by one.");
            }

            revision = await meta.GetRevisionAsync(at.NamespaceId, entry.Rev, ct);
        }
        else
        {
            RevFormat.Require(rev);
            revision = await meta.GetRevisionAsync(at.NamespaceId, rev, ct);
            if (revision is not null && (revision.PathKey != at.Inner.Key || !await IsKeptAsync(at, rev, ct)))
            {
                revision = null;
            }
        }

        if (revision is null)
        {
            throw Errors.Errors.NotFound(
                ErrorCodes.RevNotFound,
                $"\"{shownAs}\" has no revision {rev} (history is kept {RetentionText.Describe(Retention)}); list them with /files/list_revisions.");
        }

        var metadata = new FileMetadata("file", shownAs.Display, shownAs.Name, revision.Rev, revision.Size, revision.ContentHash, revision.ServerModified, revision.DeviceId);
        return (metadata, revision);
    }

    public Stream OpenContent(FileRevision revision) => new BlockContentStream(blockStore, revision.Blocks, revision.ContentHash);

    public async Task<BlockList> GetBlocksAsync(Caller caller, string? rawPath, string? rev, int? start, int? limit, CancellationToken ct)
    {
        var (metadata, revision) = await ResolveRevisionAsync(caller, rawPath, rev, ct);
        return BlocksOf(metadata, revision, caller.UserId, start, limit);
    }

    /// <summary>
    /// A page of a revision's blocks (from block <paramref name="start"/>, at most <paramref name="limit"/> and never more
    /// than <see cref="DropSyncOptions.BlockListPageSize"/>) with download URLs issued in <paramref name="urlUserId"/>'s
    /// name (a shared link's owner for its visitors). Pages keep every answer small, whatever the file's size.
    /// </summary>
    public BlockList BlocksOf(FileMetadata metadata, FileRevision revision, string urlUserId, int? start, int? limit)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var count = revision.Blocks.Count;
        var from = start ?? 0;
        if (from < 0 || from > count)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidStart, $"start is a block index from 0 to {count} (this file has {count} blocks).");
        }

        if (limit is <= 0)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidLimit, "limit must be 1 or more.");
        }

        var pageSize = Math.Min(limit ?? int.MaxValue, Math.Max(1, options.BlockListPageSize));
        var end = (int)Math.Min((long)from + pageSize, count);
        long offset = 0;
        for (var i = 0; i < from; i++)
        {
            offset += revision.Blocks[i].Size;
        }

        var list = new List<BlockDownload>(end - from);
        for (var i = from; i < end; i++)
        {
            var block = revision.Blocks[i];
            var url = urls.DownloadUrl(urlUserId, block.Hash, options.BlockUrlLifetime);
            list.Add(new BlockDownload(block.Hash.Hex, block.Size, offset, url.Url, url.ExpiresAt));
            offset += block.Size;
        }

        var hasMore = end < count;
        return new BlockList(metadata, list, from, count, hasMore, hasMore ? end : null, RunsOf(revision, list, from, urlUserId));
    }

    /// <summary>
    /// The page's blocks cut into runs (<see cref="BlockRuns.Cut"/>) with one URL each; null when the block URLs have no
    /// run form (AWS mode).
    /// </summary>
    private List<BlockRun>? RunsOf(FileRevision revision, List<BlockDownload> page, int from, string urlUserId)
    {
        var pageBlocks = new BlockRef[page.Count];
        for (var j = 0; j < pageBlocks.Length; j++)
        {
            pageBlocks[j] = revision.Blocks[from + j];
        }

        var runs = new List<BlockRun>((page.Count + Limits.MaxRunBlocks - 1) / Limits.MaxRunBlocks);
        foreach (var (first, count, bytes) in BlockRuns.Cut(pageBlocks))
        {
            if (urls.RunDownloadUrl(urlUserId, pageBlocks[first..(first + count)], options.BlockUrlLifetime) is not { } url)
            {
                return null;
            }

            runs.Add(new BlockRun(from + first, count, page[first].Offset, bytes, url.Url, url.ExpiresAt));
        }

        return runs;
    }
}
