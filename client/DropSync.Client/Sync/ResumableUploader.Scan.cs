using System.Threading.Channels;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>
/// A new upload session whose blocks go up while the file is still being cut: the session begins with the first few
/// blocks (<c>more_blocks</c>), each later part of the list is added as the scan finds it, and the blocks the server
/// answers missing are PUT meanwhile, so the scan (FastCDC + SHA-256, ~0.5 s per GiB) overlaps the sending.
/// </summary>
internal sealed partial class ResumableUploader
{
    /// <summary>Blocks in the list's first part. A later part waits for at least as many blocks as the list holds (the
    /// parts double), so a 1 GiB file's ~460 blocks take a handful of requests, and the first PUTs start after ~16 MiB.
    /// Every part but the last ends where one of the server's upload runs ends (<see cref="BlockRuns.Cut"/> over the list
    /// from its start, as the server cuts them): a part ending inside a run would leave that run's first blocks queued
    /// by one answer and its last by the next, each then sent alone (round 13: ~105 block requests per GiB, not ~70).</summary>
    private const int FirstPartBlocks = Limits.MaxRunBlocks;

    private async Task<(UploadSession Session, IReadOnlyList<BlockRef> Blocks)> ScanWhileSendingAsync(
        LocalItem item, BlockPutter putter, string remotePath, long size, long mtime, string mode, string? rev, CancellationToken ct)
    {
        var inParts = p.Server.UploadBlocksInParts == true;
        var blocks = new List<BlockRef>();
        var declared = 0;
        long declaredBytes = 0;
        UploadSession? session = null;
        var cut = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        await using var puts = new BlockPutQueue(putter, p.Options.BlockParallelism, ct);
        using var stopScan = CancellationTokenSource.CreateLinkedTokenSource(puts.Stopping);
        var seed = p.Index.FastDigestSeed();
        var known = p.Index.GetKnownBlocks(item.Key) is { } stored ? KnownBlocks.For(stored, seed, size) : null;
        var scan = Task.Run(() => ScanAsync(p.Full(item.Rel), size, cut.Writer, seed, known, stopScan.Token), CancellationToken.None);
        try
        {
            for (var done = false; !done;)
            {
                // Take what the scan has cut; wait for more until a part is big enough or the scan is over.
                done = !await cut.Reader.WaitToReadAsync(puts.Stopping);
                while (cut.Reader.TryRead(out var c))
                {
                    blocks.Add(new BlockRef(c.Hash, c.Size));
                }

                // A scan already over sends the whole list at once, as a plain begin.
                done |= cut.Reader.Completion.IsCompletedSuccessfully;

                // A server without parts (an older one) gets the whole list in one begin, once the scan is over.
                if (!done && (!inParts || blocks.Count - declared < Math.Max(FirstPartBlocks, declared)))
                {
                    continue;
                }

                var end = done ? blocks.Count : EndOfLastWholeRun(blocks);
                if (!done && end <= declared)
                {
                    continue;
                }

                var part = blocks.GetRange(declared, end - declared);
                var partBytes = part.Sum(b => (long)b.Size);
                if (declaredBytes + partBytes > size || (done && declaredBytes + partBytes != size))
                {
                    throw new FileChangedWhileUploadingException($"{item.Rel} changed while it was being read; it will be uploaded on the next sync.");
                }

                if (part.Count == 0 && session is not null)
                {
                    break;
                }

                putter.Locate(part, declaredBytes);
                var specs = part.Select(b => new BlockSpec(b.Hash.Hex, b.Size)).ToList();
                if (session is null)
                {
                    session = await p.Api.BeginUploadAsync(
                        remotePath, size, specs, mode, rev, puts.Stopping, moreBlocks: !done, blockListHash: p.Server.BlockListContentHash == true);
                    putter.UploadId = session.UploadId;
                }
                else
                {
                    var (uploadId, index) = (session.UploadId, declared);
                    session = await TransientRetry.RunAsync(t => p.Api.AddUploadBlocksAsync(uploadId, index, specs, t), puts.Stopping);
                }

                (declared, declaredBytes) = (end, declaredBytes + partBytes);
                puts.Offer(session);
            }

            // The list adds up to the declared size (checked above), so its blocks were cut with the sizes ForLength(size) gives.
            var chunks = await scan;
            p.Index.PutKnownBlocks(item.Key, KnownBlocks.Encode(chunks));
            if (known is not null)
            {
                p.Options.Log?.Invoke($"{item.Rel}: {known.Reused} of {chunks.Count} blocks named from its previous scan, {chunks.Count - known.Reused} cut and hashed");
            }

            p.Index.PutUpload(new PendingUpload(item.Key, session!.UploadId, size, mtime, blocks, session.ExpiresAt));
            await puts.DrainAsync();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // A PUT failed, which stopped the rest: its error is the one to report.
            await puts.DrainAsync();
            throw;
        }
        finally
        {
            await stopScan.CancelAsync();
            try
            {
                await scan;
            }
            catch (Exception)
            {
                // Reported through the channel, or the upload failed elsewhere first.
            }
        }

        // Every block the last answer listed was PUT by the queue; beyond its page, the caller asks for the rest.
        return session.MoreMissing > 0 ? (await p.Api.ResumeUploadAsync(session.UploadId, ct), blocks) : (session with { Missing = [] }, blocks);
    }

    /// <summary>Where the last run of <paramref name="blocks"/> that the next block cannot join anymore ends (a run of
    /// fewer than <see cref="Limits.MaxRunBlocks"/> at the end may still grow, as far as the client can tell).</summary>
    private static int EndOfLastWholeRun(List<BlockRef> blocks)
    {
        var end = 0;
        foreach (var (first, count, _) in BlockRuns.Cut(blocks))
        {
            end = count == Limits.MaxRunBlocks || first + count < blocks.Count ? first + count : end;
        }

        return end;
    }

    private static async Task<IReadOnlyList<Chunk>> ScanAsync(string full, long size, ChannelWriter<Chunk> cut, long seed, KnownBlocks? known, CancellationToken ct)
    {
        try
        {
            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var chunks = await FastCdc.ChunkAsync(stream, ChunkerOptions.ForLength(size), c => cut.TryWrite(c), ct, seed, known);
            cut.TryComplete();
            return chunks;
        }
        catch (Exception e)
        {
            cut.TryComplete(e);
            throw;
        }
    }
}
