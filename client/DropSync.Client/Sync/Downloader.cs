using System.Buffers;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Client.Transfer;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Sync;

/// <summary>Fetches files (whole, or by blocks reusing local ones), verifies them, and puts them in place.</summary>
internal sealed partial class Downloader(SyncPass p)
{
    /// <param name="fetched">The file's content when a batch already brought it (<see cref="BatchDownloader"/>); verified here like any other.</param>
    public async Task DownloadAsync(RemoteEntry r, IndexEntry? prior, CancellationToken ct, byte[]? fetched = null)
    {
        var key = SyncEngine.KeyOf(r.Path);
        var rel = p.Local.TryGetValue(key, out var existing) && !existing.IsDir ? existing.Rel : p.LocalRelFor(r.Path);
        var size = r.Size ?? 0;
        string temp;
        IReadOnlyList<BlockRef> blocks;
        DownloadedDigests? digests = null;
        long received = 0;
        // The size and mtime the index records are the part file's, taken before it is placed: rename keeps them, and an
        // edit made in the moment after the rename then shows as a change instead of being recorded as the server's rev.
        long placedSize;
        long placedMtime;
        try
        {
            // A file over the server's answer limit (AWS: Lambda's 6 MB payload) comes by blocks, however small.
            var bytes = fetched ?? (size <= p.Options.SmallFileLimit && p.Server.CanDownloadDirectly(size) ? await DownloadWholeAsync(r, ct) : null);
            if (bytes is not null && ProvedWhole(r, bytes) is { } cut)
            {
                received = bytes.Length;
                blocks = cut;
                temp = PartFiles.InFolder(p.Full(rel), key);
                // Written at once: a few KiB cost less written in place than handed to the thread pool and back.
                placedMtime = WriteNextTo(rel, temp, bytes);
                placedSize = bytes.Length;
            }
            else
            {
                if (bytes is not null)
                {
                    // Cut here otherwise than by the uploader (another size class, another client): the server's block
                    // list is what proves a block-list hash, so the file comes by blocks, each checked against its name.
                    bytes = null;
                }

                temp = PartFiles.InTempFolder(p.Index.TempFolder, key, r.Rev);
                digests = new DownloadedDigests(p.Index.FastDigestSeed());
                (blocks, received) = await DownloadBlocksAsync(r, temp, digests, ct);
                var part = new FileInfo(temp);
                (placedSize, placedMtime) = (part.Length, part.LastWriteTimeUtc.Ticks);
            }

            Place(rel, temp, prior);
            if (bytes is not null)
            {
                // Small files: one syncfs before the index commit that records them covers them all.
                p.Index.PlacedFiles.Placed();
            }
            else
            {
                PlacedFiles.SyncFolderOf(p.Full(rel));
            }

            p.Index.Put(new IndexEntry(key, r.Path, false, placedSize, placedMtime, r.Rev, r.ContentHash, blocks));
            RememberDigests(key, blocks, digests);
            p.Recorder.FoldersOnServer(r.Path);
            p.Report.FileDownloaded();
        }
        finally
        {
            p.Advance(Math.Max(0, size - received), rel);
        }
    }

    /// <summary>
    /// A whole small file's blocks, once its bytes are proven by <paramref name="r"/>'s content hash; null when the hash is
    /// of the block-list kind and this client cut the bytes into other blocks than the uploader (nothing proven either way).
    /// </summary>
    private List<BlockRef>? ProvedWhole(RemoteEntry r, byte[] bytes)
    {
        p.Report.Downloaded(bytes.Length);
        var blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
        // A small file is one block, and the content hash of aligned blocks (or a block-list hash) follows from their
        // names: one pass over the bytes, not two.
        var kind = ContentHash.KindOf(r.ContentHash);
        var hash = ContentHash.FromNames(blocks, kind) ?? ContentHasher.Compute(bytes);
        if (hash == r.ContentHash)
        {
            return blocks;
        }

        return kind == ContentHashKind.BlockList
            ? null
            : throw new InvalidDataException($"The download of {r.Path} does not match its content hash; it will be fetched again on the next sync.");
    }

    /// <summary>A small download's part file, in the folder of <paramref name="rel"/> (made first if need be); answers its mtime (ticks, UTC).</summary>
    private long WriteNextTo(string rel, string temp, byte[] bytes)
    {
        long mtime = 0;
        InFolderOf(rel, () => mtime = WriteNew(temp, bytes), retry: () => true);
        return mtime;
    }

    /// <summary>
    /// Runs <paramref name="act"/>, which needs the folder of <paramref name="rel"/>, making the folder first. If a folder
    /// seen earlier in this pass was removed meanwhile, looks again, makes it, and runs <paramref name="act"/> once more
    /// when <paramref name="retry"/> says it still can.
    /// </summary>
    private void InFolderOf(string rel, Action act, Func<bool> retry)
    {
        p.Names.EnsureLocalFolder(LocalNames.ParentRel(rel));
        try
        {
            act();
        }
        catch (DirectoryNotFoundException) when (retry())
        {
            p.Names.ForgetSeenFolders();
            p.Names.EnsureLocalFolder(LocalNames.ParentRel(rel));
            act();
        }
    }

    /// <summary>
    /// A small download's part file, created new. Not <c>File.WriteAllBytes</c>: its FileMode.Create truncates the file it
    /// opened with <c>ftruncate</c>, and on ext4 a truncate to zero makes <c>close</c> start the file's writeback
    /// (auto_da_alloc): one 4 KiB write and a device notification per file, paid in the downloader's thread. The index's
    /// commit makes the files durable instead, together (<see cref="PlacedFiles"/>). Answers the file's mtime (ticks, UTC),
    /// read from the open handle once the bytes are written.
    /// </summary>
    private static long WriteNew(string path, byte[] bytes)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        }
        catch (IOException) when (File.Exists(path))
        {
            // A part file of an interrupted run, for the same rev: a small file is fetched whole again.
            File.Delete(path);
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        }

        using (handle)
        {
            RandomAccess.Write(handle, bytes, 0);
            if (PlacedFiles.FlushesEachFile)
            {
                RandomAccess.FlushToDisk(handle);
            }

            return File.GetLastWriteTimeUtc(handle).Ticks;
        }
    }

    /// <summary>A small file's content in one request; null when the server says to fetch it by blocks (its limit changed since /config).</summary>
    private async Task<byte[]?> DownloadWholeAsync(RemoteEntry r, CancellationToken ct)
    {
        try
        {
            using var memory = new MemoryStream((int)(r.Size ?? 0));
            await p.Api.DownloadAsync(r.Path, r.Rev, 0, memory, ct);
            return memory.ToArray();
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.TooLargeForDirectDownload)
        {
            return null;
        }
    }

    /// <summary>
    /// Keeps a proven download's XXH128 digests as the file's known blocks, so its first local edit is re-scanned from
    /// them (<see cref="KnownBlocks"/>) rather than in full.
    /// </summary>
    private void RememberDigests(string key, IReadOnlyList<BlockRef> blocks, DownloadedDigests? digests)
    {
        if (digests?.Encode(blocks) is { } known)
        {
            p.Index.PutKnownBlocks(key, known);
        }
    }

    private async Task<(IReadOnlyList<BlockRef> Blocks, long Received)> DownloadBlocksAsync(RemoteEntry r, string temp, DownloadedDigests digests, CancellationToken ct)
    {
        // The block list comes a page at a time: each page's blocks are fetched before the next page is asked for, so
        // only one page of URLs is held (and none outlives its use); the hashes are kept for the index.
        var list = await p.Api.GetBlocksAsync(r.Path, r.Rev, 0, ct);
        var metadata = list.Metadata;
        var size = metadata.Size ?? r.Size ?? 0;
        var refs = new List<BlockRef>();
        long received = 0;
        string actual;
        var expected = metadata.ContentHash ?? r.ContentHash;
        var byNames = ContentHash.KindOf(expected) == ContentHashKind.BlockList;
        // Blocks that arrived not matching their names (block-list kind): counted, not written, and the download goes on,
        // so the part file keeps every other block and the next sync fetches only the damaged ones.
        var damaged = 0;
        await using (var file = new FileStream(temp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
        {
            // A partial file from an interrupted run: its blocks that verify are kept.
            var existingLength = file.Length;
            var handle = file.SafeFileHandle;
            file.SetLength(size);
            // Without direct I/O (another OS, tmpfs) the page cache is written back as the download goes.
            WriteBehind? writeBehind = null;
            try
            {
                using var pieces = new PieceWriter(temp, handle, size, hashPieces: !byNames, buffers: p.PieceBuffers);
                writeBehind = pieces.UsesDirectIo ? null : new WriteBehind(handle);
                while (true)
                {
                    refs.AddRange(list.Blocks.Select(b => new BlockRef(BlockHash.Parse(b.Hash), b.Size)));
                    await FetchPageAsync(handle, existingLength, list, pieces, writeBehind);
                    if (!list.HasMore || list.NextStart is not { } next)
                    {
                        break;
                    }

                    list = await p.Api.GetBlocksAsync(r.Path, metadata.Rev ?? r.Rev, next, ct);
                }

                if (damaged > 0)
                {
                    throw new InvalidDataException($"{damaged} block(s) of {r.Path} arrived damaged; they will be fetched again on the next sync.");
                }

                // Every piece was hashed as it was written (or, for a block-list hash, every block checked against its
                // name as it came): the file is not read again.
                if (byNames)
                {
                    pieces.Complete();
                    actual = ContentHash.OfBlockList(refs).ToString();
                }
                else
                {
                    actual = pieces.ContentHash();
                }
            }
            finally
            {
                if (writeBehind is not null)
                {
                    await writeBehind.DrainAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }

            file.Flush(flushToDisk: true);
        }

        if (actual != expected)
        {
            // The part file stays: the next sync checks each of its blocks against the block list and fetches only
            // the ones that do not match (a damaged block costs one block, not the file).
            throw new InvalidDataException($"A block of {r.Path} arrived damaged (the file does not match its content hash); the damaged blocks will be fetched again on the next sync.");
        }

        return (refs, received);

        async Task FetchPageAsync(SafeFileHandle handle, long existingLength, BlockList page, PieceWriter pieces, WriteBehind? writeBehind)
        {
            // A part file from an interrupted run: its blocks that verify are kept first, so what is still needed is
            // known before the fetch is planned, and comes by runs like a fresh download's.
            var kept = existingLength > 0
                ? await KeepFromPartFileAsync(r.Path, handle, existingLength, page, pieces, digests, ct)
                : new bool[page.Blocks.Count];
            var plan = await PlanPageAsync(r.Path, metadata.Rev ?? r.Rev, page, kept, ct);
            // Each item within the pass's bound on block transfers; a torn run's blocks come inside its slot.
            await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = p.Options.BlockParallelism, CancellationToken = ct }, (work, c) =>
                new ValueTask(p.InBlockSlotAsync(() => FetchWorkAsync(work, pieces, writeBehind, c), c)));
        }

        async Task FetchWorkAsync(PageWork work, PieceWriter pieces, WriteBehind? writeBehind, CancellationToken c)
        {
            if (work.Run is { } run)
            {
                var (got, bad, rest) = await FetchRunAsync(r.Path, run, work.Blocks, byNames, pieces, digests, writeBehind, c);
                Interlocked.Add(ref received, got);
                Interlocked.Add(ref damaged, bad);
                // A run torn on the way: its blocks not yet received come one by one, each with its retries.
                foreach (var b in rest)
                {
                    await FetchOneAsync(b, pieces, writeBehind, c);
                }

                return;
            }

            await FetchOneAsync(work.Blocks[0], pieces, writeBehind, c);
        }

        async Task FetchOneAsync(Api.BlockDownload b, PieceWriter pieces, WriteBehind? writeBehind, CancellationToken c)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(b.Size);
            try
            {
                var span = buffer.AsMemory(0, b.Size);
                if (p.LocalBlocks.TryRead(b.Hash, span, out var fast))
                {
                    p.Report.Reused(b.Size);
                    digests.Add(b.Offset, fast);
                }
                else
                {
                    // Pieces kind: not hashed as a block: the content hash over the whole file (each 4 MiB piece
                    // hashed as its bytes are written) proves every byte, so a second SHA-256 pass per block would
                    // cost a core for nothing; a block that came damaged is found and fetched again from the part
                    // file next sync. Block-list kind: each block is hashed against its name instead (one pass).
                    var got = await TransientRetry.RunAsync(t => p.Api.GetBlockAsync(b, span, t), c);
                    if (got != b.Size)
                    {
                        throw new InvalidDataException($"A block of {r.Path} arrived damaged; it will be fetched again on the next sync.");
                    }

                    if (byNames && BlockHash.Of(span.Span).Hex != b.Hash)
                    {
                        Interlocked.Increment(ref damaged);
                        return;
                    }

                    Interlocked.Add(ref received, b.Size);
                    p.Report.Downloaded(b.Size);
                    digests.Add(b.Offset, span.Span);
                }

                // Written to the file with its piece (or, if the sync stops first, when the writer is disposed:
                // a block that arrived is kept, and the next run resumes after it).
                pieces.Written(b.Offset, span.Span);
                writeBehind?.Written(b.Size);
                p.Advance(b.Size, r.Path);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Moves a verified download into place, first setting aside any local version the index does not know.</summary>
    private void Place(string rel, string temp, IndexEntry? prior)
    {
        var full = p.Full(rel);
        // One stat tells what is there: nothing (the common case of a first sync), a folder, or a file.
        var info = new FileInfo(full);
        var attributes = info.Attributes;
        if (attributes != (FileAttributes)(-1) && attributes.HasFlag(FileAttributes.Directory))
        {
            var renamed = p.Names.SetAside(rel, true, "folder conflict");
            p.Report.Conflict($"{rel}: a folder here, a file on the server; the folder was renamed to {renamed}");
        }
        else if (info.Exists)
        {
            var known = prior is not null && info.Length == prior.Size && info.LastWriteTimeUtc.Ticks == prior.Mtime;
            if (!known)
            {
                var kept = p.Names.SetAsideAsConflictedCopy(rel);
                p.Report.Conflict($"{rel}: changed here and on the server. Your version is now {kept}; the server's is at {rel}.");

                p.Options.Log?.Invoke($"conflict on {rel}: your local version was kept as {kept}");
            }
        }

        // A part file beside the file went with its folder, if that was removed: nothing left to move. A large file
        // replaced is freed behind the pass (ReplacedFiles).
        p.Replaced.FreeBehind(info, p.Index.TempFolder, () => InFolderOf(rel, () => File.Move(temp, full, overwrite: true), retry: () => File.Exists(temp)));
    }
}
