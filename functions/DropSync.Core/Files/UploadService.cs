using System.Buffers;
using System.Security.Cryptography;
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
public sealed class UploadService(
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
    /// <summary>
    /// Streams a request body into fixed 4 MiB blocks (so the content hash needs no second pass) and commits it. Each
    /// block is hashed piece by piece as it arrives. When the upload is the only transfer holding block buffers it takes
    /// a spare after its first block (<see cref="BlockBuffers.TryRentSpareForSoleTransfer"/>) and becomes a three-stage
    /// pipeline on the cores: the request's thread only receives, the hash follows a few
    /// hundred KiB behind it on another thread (<see cref="BlockHashPipeline"/>), and block n is sealed and written
    /// while n+1 arrives. Flushing a written block (fsync of the file and its folder, the index record) waits on the
    /// disk, not the CPU, and needs no buffer: it runs behind the receive (<see cref="BlockService.BeginStoreHashedAsync"/>),
    /// and the commit waits for every block's flush, so the answer still comes only once all of it is durable. Without a
    /// spare (several uploads at once keep the cores busy anyway) each piece is hashed on the receiving thread while it is
    /// in the CPU's cache, and each block is sealed and written before the next is read.
    /// One or two pooled buffers per upload, whatever its size.
    /// </summary>
    public async Task<FileMetadata> UploadMediaAsync(Caller caller, string? rawPath, WriteMode mode, string? rev, Stream body, CancellationToken ct, long? declaredSize = null)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        CheckMode(mode, rev);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        at.RequireWrite();

        // A declared size (Content-Length) past the quota is refused before a block is stored; the commit checks again.
        await quota.RequireRoomAsync(at.NamespaceId, declaredSize ?? 0, ct);
        var refs = new List<BlockRef>();
        using var hasher = new ContentHasher();
        using var blockHasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A body declared shorter than a block is one block: a small pooled buffer for it, not a 4 MiB one (with many
        // small uploads at once, 4 MiB buffers past the pool's few were allocated and zeroed per request). With a spare
        // buffer, block n is stored while n+1 is read from the network; without one (another transfer is running, or
        // the body is one block), each block is stored before the next is read, in the one buffer.
        var smallCapacity = declaredSize is >= 0 and < Limits.MaxBlockSize ? (int)declaredSize.Value + 1 : 0;
        var reading = RentBlockBuffer(smallCapacity);
        byte[]? spare = null;
        var mayPipeline = smallCapacity == 0 && declaredSize is not <= Limits.MaxBlockSize;
        var digest = new byte[32];
        CarriedBlock? carried = null;
        Task<Task> pendingStore = NoStore;
        var flushing = new FlushingBlocks();
        long total = 0;
        try
        {
            while (true)
            {
                var destination = reading.AsMemory(0, smallCapacity > 0 ? smallCapacity : Limits.MaxBlockSize);
                var n = spare is null
                    ? await ReadBlockHashingAsync(body, destination, blockHasher, ct)
                    : await BlockHashPipeline.ReadBlockHashingBehindAsync(body, destination, blockHasher, ct);
                if (smallCapacity > 0 && n == smallCapacity)
                {
                    throw Errors.Errors.BadRequest(ErrorCodes.InvalidSize, "The body is longer than its declared Content-Length.");
                }

                total += n;
                if (total > Limits.MaxFileSize)
                {
                    throw FileTooLarge();
                }

                if (n == 0)
                {
                    break;
                }

                blockHasher.GetHashAndReset(digest);
                var hash = BlockHash.FromDigest(digest);
                hasher.AppendPieceDigest(digest, n);
                refs.Add(new BlockRef(hash, n));

                if (spare is null && mayPipeline && n == Limits.MaxBlockSize)
                {
                    // Taken after the first block rather than at the start: by then the uploads of a batch that started
                    // together all hold their buffers, so none takes the spare only to give it back (a fifth 4 MiB array).
                    spare = BlockBuffers.TryRentSpareForSoleTransfer();
                }

                if (smallCapacity > 0)
                {
                    // The whole body is this one small block: sealed now, stored by the commit's own write where the store can.
                    carried = await blocks.TryCarryHashedAsync(caller.UserId, hash, reading.AsMemory(0, n), ct);
                    if (carried is null)
                    {
                        await blocks.StoreHashedAsync(caller.UserId, hash, reading.AsMemory(0, n), ct);
                    }
                }
                else if (spare is null)
                {
                    await flushing.AddAsync(await blocks.BeginStoreHashedAsync(caller.UserId, hash, reading.AsMemory(0, n), ct));
                }
                else
                {
                    await flushing.AddAsync(await pendingStore);
                    pendingStore = NoStore;
                    if (BlockBuffers.SpareWanted)
                    {
                        // Another transfer started: give the spare back and go on without pipelining (see SpareWanted).
                        BlockBuffers.ReturnSpare(spare);
                        spare = null;
                        await flushing.AddAsync(await blocks.BeginStoreHashedAsync(caller.UserId, hash, reading.AsMemory(0, n), ct));
                    }
                    else
                    {
                        (reading, spare) = (spare, reading);
                        pendingStore = blocks.BeginStoreHashedAsync(caller.UserId, hash, spare.AsMemory(0, n), ct);
                    }
                }

                if (n < Limits.MaxBlockSize)
                {
                    break;
                }
            }

            flushing.Add(await pendingStore);

            // Durable before the commit can refer to them, as ever: every block flushed, renamed and in the index.
            await flushing.AllDurableAsync();
        }
        catch
        {
            carried?.Dispose();
            throw;
        }
        finally
        {
            // Nothing of this upload still runs when it answers, not even the flushes of a failed one.
            await pendingStore.ContinueWith(
                step =>
                {
                    if (step.IsCompletedSuccessfully)
                    {
                        flushing.Add(step.Result);
                    }
                },
                TaskScheduler.Default);
            await flushing.SettledAsync();
            ReturnBlockBuffer(reading, smallCapacity);
            if (spare is not null)
            {
                BlockBuffers.ReturnSpare(spare);
            }
        }

        using (carried)
        {
            var entry = await committer.CommitAsync(caller, at, new NewContent(refs, total, hasher.GetHashHex()), mode, rev, null, carried, ct);
            return FileMetadata.From(entry, at);
        }
    }

    private static readonly Task<Task> NoStore = Task.FromResult(Task.CompletedTask);

    private static byte[] RentBlockBuffer(int smallCapacity) => smallCapacity > 0 ? ArrayPool<byte>.Shared.Rent(smallCapacity) : BlockBuffers.Rent();

    private static void ReturnBlockBuffer(byte[] buffer, int smallCapacity)
    {
        if (smallCapacity > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else
        {
            BlockBuffers.Return(buffer);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="source"/> until it is full or the stream ends, hashing each piece as it lands.</summary>
    internal static async Task<int> ReadBlockHashingAsync(Stream source, Memory<byte> buffer, IncrementalHash hash, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await source.ReadAsync(buffer[total..], ct);
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer.Span.Slice(total, n));
            total += n;
        }

        return total;
    }

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
            throw Errors.Errors.BadRequest(ErrorCodes.TooManyBlocks, $"A file has at most {Limits.MaxBlocksPerFile} blocks.");
        }

        long sum = 0;
        foreach (var block in request.Blocks)
        {
            if (block.Size is <= 0 or > Limits.MaxBlockSize)
            {
                throw Errors.Errors.TooLarge(ErrorCodes.BlockTooLarge, $"Each block must be 1 to {Limits.MaxBlockSize} bytes (block {block.Hash} is {block.Size}).");
            }

            sum += block.Size;
        }

        if (sum != request.Size)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.SizeMismatch, $"The blocks add up to {sum} bytes but size says {request.Size}.");
        }

        if (request.ContentHash is not null && !BlockHash.TryParse(request.ContentHash, out _))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MalformedContentHash, "content_hash is 64 hex digits (Dropbox's content hash).");
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
            ClientContentHash = request.ContentHash?.ToLowerInvariant(),
            CreatedAt = now,
            ExpiresAt = now + options.UploadSessionLifetime,
        };
        await sessions.CreateAsync(session, ct);
        pieceHashing?.Begin(session.UploadId, session.UserId, session.Blocks);
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

        // Content-defined blocks are read back for the pieces they make up, except pieces hashed as the blocks arrived
        // (UploadPieceHashing) or by an earlier commit.
        var contentHash = await BlockListContentHash.ComputeAsync(session.Blocks, blockStore, ct);
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
            return new ResumableUploadState(session.UploadId, [], session.ExpiresAt, committed is null ? null : FileMetadata.From(committed) with { Path = session.PathDisplay }, 0);
        }

        // Signed URLs for the first page of missing blocks (in file order) only, so that the answer stays small; the client
        // PUTs them and asks again for the next page.
        var distinct = session.Blocks.DistinctBy(b => b.Hash).ToList();
        var held = await index.FindHeldAsync(session.UserId, distinct.Select(b => b.Hash).ToList(), ct);
        var missing = distinct.Where(b => !held.ContainsKey(b.Hash)).ToList();
        var wanted = missing.Take(Math.Max(1, options.BlockListPageSize)).ToList();
        var signed = await urls.UploadUrlsAsync(session.UserId, wanted, options.BlockUrlLifetime, ct);
        var page = wanted.Select((b, i) => signed[i].ToMissing(b)).ToList();
        return new ResumableUploadState(session.UploadId, page, session.ExpiresAt, null, missing.Count - page.Count);
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
        if (string.IsNullOrEmpty(uploadId))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MissingUploadId, "upload_id is required.");
        }

        var session = await sessions.GetAsync(uploadId, ct);
        if (session is null || session.UserId != caller.UserId)
        {
            throw UploadNotFound();
        }

        if (session.ExpiresAt <= clock.GetUtcNow())
        {
            throw Errors.Errors.Gone(ErrorCodes.UploadExpired, "This upload expired; start a new one (blocks already sent are reused).");
        }

        return session;
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

    private static DropSyncException UploadNotFound() =>
        Errors.Errors.NotFound(ErrorCodes.UploadNotFound, "No such upload; start a new one with uploadType=resumable.");

    private static DropSyncException FileTooLarge() =>
        Errors.Errors.TooLarge(ErrorCodes.FileTooLarge, $"A file is at most {Limits.MaxFileSize} bytes (10 GiB).");
}
