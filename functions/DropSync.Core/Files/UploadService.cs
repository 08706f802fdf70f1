using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>
/// Uploads: a whole file in one request body (<c>uploadType=media</c>), or resumable by blocks: declare the block list,
/// PUT the blocks the server lacks to their signed URLs, then finish. Either way each block is verified before it is
/// stored and the file is committed only when every block is durable.
/// </summary>
public sealed partial class UploadService(
    BlockService blocks,
    IBlockStore blockStore,
    IBlockIndex index,
    IUploadSessionStore sessions,
    IBlockTransferUrls urls,
    IFileMetadataStore meta,
    FileCommitter committer,
    PathResolver resolver,
    DropSyncOptions options,
    TimeProvider clock,
    StorageQuota quota,
    UploadPieceHashing? pieceHashing = null)
{
    public async Task<ResumableUploadState> BeginAsync(Caller caller, ResumableUploadRequest request, CancellationToken ct)
    {
        var path = DropPath.Parse(request.Path, allowRoot: false);
        CheckMode(request.Mode, request.Rev);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        at.RequireWrite();
        if (request.Size < 0)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidSize, "size must be zero or more.");
        }

        if (request.Size > Limits.MaxFileSize)
        {
            throw FileTooLarge();
        }

        if (request.Blocks.Count > Limits.MaxBlocksPerFile)
        {
            throw TooManyBlocks();
        }

        var sum = CheckBlockSizes(request.Blocks);
        if (request.MoreBlocks ? sum > request.Size : sum != request.Size)
        {
            throw Errors.Errors.BadRequest(
                ErrorCodes.SizeMismatch,
                request.MoreBlocks ? $"The blocks add up to {sum} bytes, more than the size {request.Size}." : $"The blocks add up to {sum} bytes but size says {request.Size}.");
        }

        // With b1 turned off (old clients in the deployment), a begin that asks for it gets Dropbox's hash, the kind every
        // client checks; a declared value must then be of that kind, since the revision will not carry a b1 one.
        var kind = request.ContentHashKind == ContentHashKind.BlockList && !options.BlockListContentHash ? ContentHashKind.Pieces : request.ContentHashKind;
        string? declaredHash = null;
        if (request.ContentHash is not null)
        {
            if (!ContentHash.TryParse(request.ContentHash, out var parsed) || parsed.Kind != kind)
            {
                throw Errors.Errors.BadRequest(
                    ErrorCodes.MalformedContentHash,
                    kind == ContentHashKind.BlockList
                        ? "content_hash is \"b1:\" and 64 hex digits (the block-list hash asked for by content_hash_kind)."
                        : kind != request.ContentHashKind
                            ? "content_hash is 64 hex digits (Dropbox's content hash): the block-list hash is turned off on this server."
                            : "content_hash is 64 hex digits (Dropbox's content hash).");
            }

            declaredHash = parsed.ToString();
        }

        await quota.RequireRoomAsync(at.NamespaceId, request.Size, ct);
        await sessions.RequireRoomForSessionAsync(caller.UserId, options.MaxUploadSessionsPerUser, clock.GetUtcNow(), ct);
        var now = clock.GetUtcNow();
        var session = new UploadSession
        {
            UploadId = Ids.New("up_", 16),
            UserId = caller.UserId,
            DeviceId = caller.DeviceId,
            NamespaceId = at.NamespaceId,
            PathDisplay = path.Display,
            Size = request.Size,
            Blocks = request.Blocks,
            Mode = request.Mode,
            ExpectedRev = request.Rev,
            ClientContentHash = declaredHash,
            ContentHashKind = kind,
            CreatedAt = now,
            ExpiresAt = now + options.UploadSessionLifetime,
        };
        await sessions.CreateAsync(session, ct);
        if (session.ContentHashKind == ContentHashKind.Pieces)
        {
            pieceHashing?.Begin(session.UploadId, session.UserId, session.Blocks, session.Size);
        }

        return await StateAsync(session, ct);
    }

    public async Task<ResumableUploadState> ResumeAsync(Caller caller, string? uploadId, CancellationToken ct) =>
        await StateAsync(await GetSessionAsync(caller, uploadId, ct), ct);

    public async Task<FileMetadata> FinishAsync(Caller caller, string? uploadId, CancellationToken ct)
    {
        var session = await GetSessionAsync(caller, uploadId, ct);
        var path = DropPath.Parse(session.PathDisplay, false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        if (session.CommittedRev is not null)
        {
            var committed = await CommittedEntryAsync(session, ct) ?? throw UploadNotFound();
            return FileMetadata.From(committed, at);
        }

        if (at.NamespaceId != session.NamespaceId)
        {
            throw Errors.Errors.Forbidden(ErrorCodes.NoWritePermission, $"You no longer have access to \"{path.Parent}\"; the upload cannot be committed there.");
        }

        var declared = session.Blocks.Sum(b => (long)b.Size);
        if (declared != session.Size)
        {
            throw Errors.Errors.Conflict(
                ErrorCodes.BlockListIncomplete,
                $"The upload's blocks add up to {declared} of its {session.Size} bytes; add the rest (/files/upload/blocks), then finish.",
                new Dictionary<string, object?> { ["block_count"] = session.Blocks.Count, ["declared_bytes"] = declared });
        }

        var held = await index.FindHeldAsync(caller.UserId, session.Blocks.Select(b => b.Hash).ToHashSet(), ct);
        var missing = session.Blocks.Where(b => !held.ContainsKey(b.Hash)).Select(b => b.Hash.Hex).Distinct().ToList();
        if (missing.Count > 0)
        {
            // At most a page of hashes, so that the error stays small however many blocks are missing.
            throw Errors.Errors.Conflict(
                ErrorCodes.BlocksMissing,
                $"{missing.Count} block(s) have not been uploaded yet; upload them (ask again with upload_id for fresh URLs), then finish.",
                new Dictionary<string, object?> { ["missing"] = missing.Take(options.BlockListPageSize).ToList(), ["missing_count"] = missing.Count });
        }

        var wrongSize = session.Blocks.FirstOrDefault(b => held[b.Hash] != b.Size);
        if (wrongSize is not null)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.BlockSizeMismatch, $"Block {wrongSize.Hash} is {held[wrongSize.Hash]} bytes, but the upload declared {wrongSize.Size}.");
        }

        // The block-list kind follows from the names, each verified when its block was stored. The pieces kind reads
        // content-defined blocks back for the pieces they make up, except pieces hashed as the blocks arrived
        // (UploadPieceHashing) or by an earlier commit.
        var contentHash = session.ContentHashKind == ContentHashKind.BlockList
            ? ContentHash.OfBlockList(session.Blocks).ToString()
            : await BlockListContentHash.ComputeAsync(session.Blocks, blockStore, ct);
        if (session.ClientContentHash is not null && session.ClientContentHash != contentHash)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.ContentHashMismatch, $"The uploaded blocks make content hash {contentHash}, not the {session.ClientContentHash} declared; nothing was committed.");
        }

        var entry = await committer.CommitAsync(
            caller, at, new NewContent(session.Blocks, session.Size, contentHash), session.Mode, session.ExpectedRev, null, ct);
        await sessions.MarkCommittedAsync(session.UploadId, entry.Rev, ct);
        pieceHashing?.End(session.UploadId);
        return FileMetadata.From(entry, at);
    }

    private async Task<ResumableUploadState> StateAsync(UploadSession session, CancellationToken ct)
    {
        if (session.CommittedRev is not null)
        {
            var committed = await CommittedEntryAsync(session, ct);
            return new ResumableUploadState(session.UploadId, [], session.ExpiresAt, committed is null ? null : FileMetadata.From(committed) with { Path = session.PathDisplay }, 0, []);
        }

        // Signed URLs for the first page of missing blocks (in file order) only, so that the answer stays small; the client
        // PUTs them and asks again for the next page.
        // Each distinct block with the index of its first place in the list (file order).
        var distinct = session.Blocks.Select((b, i) => (Block: b, Index: i)).DistinctBy(b => b.Block.Hash).ToList();
        var held = await index.FindHeldAsync(session.UserId, distinct.Select(b => b.Block.Hash).ToList(), ct);
        var missing = distinct.Where(b => !held.ContainsKey(b.Block.Hash)).ToList();
        var wanted = missing.Take(Math.Max(1, options.BlockListPageSize)).ToList();
        var wantedBlocks = wanted.Select(b => b.Block).ToList();
        var signed = await urls.UploadUrlsAsync(session.UserId, wantedBlocks, options.BlockUrlLifetime, ct);
        var page = wantedBlocks.Select((b, i) => signed[i].ToMissing(b)).ToList();
        return new ResumableUploadState(session.UploadId, page, session.ExpiresAt, null, missing.Count - page.Count, RunsOf(session, session.UserId, wanted));
    }

    /// <summary>
    /// The page of missing blocks in runs, one PUT URL each; null when the block URLs have no run form (AWS mode). The
    /// runs are cut over the upload's whole block list from its start (<see cref="BlockRuns.Cut"/>), and each carries
    /// the missing blocks of one: while a client adds parts and the blocks of earlier answers are still in flight, each
    /// answer's runs are then those of the last one (less blocks stored meanwhile) plus new ones, rather than runs
    /// shifted by the blocks stored meanwhile, which a client that already sent those could not use.
    /// </summary>
    private List<UploadRun>? RunsOf(UploadSession session, string userId, List<(BlockRef Block, int Index)> wanted)
    {
        var runOf = new int[session.Blocks.Count];
        var run = 0;
        foreach (var (first, count, _) in BlockRuns.Cut(session.Blocks))
        {
            Array.Fill(runOf, run++, first, count);
        }

        var runs = new List<UploadRun>();
        var start = 0;
        while (start < wanted.Count)
        {
            var end = start + 1;
            while (end < wanted.Count && runOf[wanted[end].Index] == runOf[wanted[start].Index])
            {
                end++;
            }

            var blocks = wanted.GetRange(start, end - start).Select(b => b.Block).ToList();
            if (urls.RunUploadUrl(userId, blocks, options.BlockUrlLifetime) is not { } url)
            {
                return null;
            }

            runs.Add(new UploadRun(start, blocks.Count, blocks.Sum(b => (long)b.Size), url.Url, url.Headers, url.ExpiresAt));
            start = end;
        }

        return runs;
    }

    private async Task<FileEntry?> CommittedEntryAsync(UploadSession session, CancellationToken ct)
    {
        var revision = await meta.GetRevisionAsync(session.NamespaceId, session.CommittedRev!, ct);
        return revision is null
            ? null
            : new FileEntry
            {
                NamespaceId = revision.NamespaceId,
                PathDisplay = revision.PathDisplay,
                Kind = EntryKind.File,
                Rev = revision.Rev,
                Size = revision.Size,
                ContentHash = revision.ContentHash,
                ServerModified = revision.ServerModified,
                DeviceId = revision.DeviceId,
            };
    }

    private async Task<UploadSession> GetSessionAsync(Caller caller, string? uploadId, CancellationToken ct)
    {
        var session = await FindOwnSessionAsync(caller, uploadId, ct);

        if (session.ExpiresAt <= clock.GetUtcNow())
        {
            throw Errors.Errors.Gone(ErrorCodes.UploadExpired, "This upload expired; start a new one (blocks already sent are reused).");
        }

        if (session.AbortedAt is not null)
        {
            throw UploadAborted();
        }

        return session;
    }

    /// <summary>The caller's own upload by id, in whatever state; an unknown id and another user's are refused alike.</summary>
    private async Task<UploadSession> FindOwnSessionAsync(Caller caller, string? uploadId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(uploadId))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MissingUploadId, "upload_id is required.");
        }

        var session = await sessions.GetAsync(uploadId, ct);
        return session is not null && session.UserId == caller.UserId ? session : throw UploadNotFound();
    }

    internal static void CheckMode(WriteMode mode, string? rev)
    {
        if (mode == WriteMode.Update && string.IsNullOrEmpty(rev))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MissingRev, "mode=update needs the rev you last saw (rev=...).");
        }

        // A rev no server could have issued is a client bug, not a conflict: refuse it before anything is stored
        // rather than keep the upload as a conflicted copy.
        if (!string.IsNullOrEmpty(rev))
        {
            RevFormat.Require(rev);
        }
    }

    /// <summary>Refuses a block outside 1 byte to <see cref="Limits.MaxBlockSize"/>; answers the blocks' total size.</summary>
    private static long CheckBlockSizes(IReadOnlyList<BlockRef> blocks)
    {
        long sum = 0;
        foreach (var block in blocks)
        {
            if (block.Size is <= 0 or > Limits.MaxBlockSize)
            {
                throw Errors.Errors.TooLarge(ErrorCodes.BlockTooLarge, $"Each block must be 1 to {Limits.MaxBlockSize} bytes (block {block.Hash} is {block.Size}).");
            }

            sum += block.Size;
        }

        return sum;
    }

    private static DropSyncException TooManyBlocks() =>
        Errors.Errors.BadRequest(ErrorCodes.TooManyBlocks, $"A file has at most {Limits.MaxBlocksPerFile} blocks.");

    private static DropSyncException UploadNotFound() =>
        Errors.Errors.NotFound(ErrorCodes.UploadNotFound, "No such upload; start a new one with uploadType=resumable.");

    private static DropSyncException FileTooLarge() =>
        Errors.Errors.TooLarge(ErrorCodes.FileTooLarge, $"A file is at most {Limits.MaxFileSize} bytes (10 GiB).");
}
