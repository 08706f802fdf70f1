using System.Buffers;
using System.Security.Cryptography;
using DropSync.Client.Api;
using DropSync.Client.Transfer;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>
/// Blocks fetched a run at a time (embedded mode's <c>GET /blocks/run</c>): one request for up to eight consecutive
/// blocks, so the server pays its request pipeline once per run, not per block. Each block is still checked on its own
/// (its SHA-256 against its name, for a block-list content hash) and a damaged one is left out of the part file, to be
/// fetched alone by its own URL at the next sync.
/// </summary>
internal sealed partial class Downloader
{
    /// <summary>One unit of a page's parallel fetch: a run (its blocks in order), or one block by its own URL.</summary>
    private readonly record struct PageWork(BlockRun? Run, IReadOnlyList<BlockDownload> Blocks);

    /// <summary>
    /// The page's blocks as runs where every block of the run is to come from the network (none in the part file of an
    /// interrupted run, none held by a local file), otherwise block by block as before. A server without runs (AWS
    /// mode) gives only blocks.
    /// </summary>
    private IEnumerable<PageWork> PlanPage(BlockList page, long existingLength)
    {
        var covered = new bool[page.Blocks.Count];
        // Fewer runs than parallel fetches would put the file on fewer connections than block by block does (on a
        // long-latency link one stream is slower than several): runs only pay where they still fill every slot.
        var runs = page.Runs is { } offered && offered.Count >= p.Options.BlockParallelism ? offered : [];
        foreach (var run in runs)
        {
            var first = run.First - page.Start;
            if (run.Count < 2 || first < 0 || first + run.Count > page.Blocks.Count || covered.AsSpan(first, run.Count).Contains(true))
            {
                continue;
            }

            var blocks = page.Blocks.Skip(first).Take(run.Count).ToList();
            if (blocks[0].Offset == run.Offset && blocks.Sum(b => (long)b.Size) == run.Size
                && blocks.All(b => b.Offset + b.Size > existingLength && !p.LocalBlocks.Has(b.Hash)))
            {
                covered.AsSpan(first, run.Count).Fill(true);
                yield return new PageWork(run, blocks);
            }
        }

        // What no run took (all of the page, without runs), one block at a time.
        for (var i = 0; i < page.Blocks.Count; i++)
        {
            if (!covered[i])
            {
                yield return new PageWork(null, [page.Blocks[i]]);
            }
        }
    }

    /// <summary>
    /// Reads a run's blocks in order, each checked and handed to the pieces as it completes. Answers the bytes received,
    /// the damaged blocks (block-list kind: not written), and the blocks not reached when the transfer broke on the way
    /// (to be fetched one by one); a 4xx (an expired or refused URL) is thrown, as for a block.
    /// </summary>
    private async Task<(long Received, int Damaged, IReadOnlyList<BlockDownload> Remaining)> FetchRunAsync(
        string path, BlockRun run, IReadOnlyList<BlockDownload> blocks, bool byNames, PieceWriter pieces, DownloadedDigests digests, WriteBehind? writeBehind, CancellationToken ct)
    {
        long received = 0;
        var damaged = 0;
        var done = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(blocks.Max(b => b.Size));
        using var sha = byNames ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        try
        {
            await p.Api.ReadBlockRunAsync(run, async (body, c) =>
            {
                foreach (var b in blocks)
                {
                    var block = buffer.AsMemory(0, b.Size);
                    await ReadBlockAsync(body, block, sha, c);
                    done++;
                    if (sha is not null && !BlockHash.FromDigest(sha.GetHashAndReset()).Hex.Equals(b.Hash, StringComparison.Ordinal))
                    {
                        damaged++;
                        continue;
                    }

                    received += b.Size;
                    p.Report.Downloaded(b.Size);
                    digests.Add(b.Offset, block.Span);
                    pieces.Written(b.Offset, block.Span);
                    writeBehind?.Written(b.Size);
                    p.Advance(b.Size, path);
                }
            }, ct);
        }
        catch (Exception e) when (TransientRetry.IsTransient(e) && !ct.IsCancellationRequested)
        {
            p.Options.Log?.Invoke($"a block run of {path} broke after {done} of {blocks.Count} blocks ({e.Message}); the rest come one by one");
            sha?.GetHashAndReset();
            return (received, damaged, blocks.Skip(done).ToList());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (received, damaged, []);
    }

    /// <summary>
    /// Fills <paramref name="block"/> from the run's body, hashing each part as it arrives (the bytes a read gave, still in
    /// cache, not the whole block after); a short body is an <see cref="IOException"/>.
    /// </summary>
    private static async Task ReadBlockAsync(Stream body, Memory<byte> block, IncrementalHash? sha, CancellationToken ct)
    {
        var total = 0;
        while (total < block.Length)
        {
            var n = await body.ReadAsync(block[total..], ct);
            if (n == 0)
            {
                throw new IOException($"A block run ended {block.Length - total} bytes short of a block.");
            }

            sha?.AppendData(block.Span.Slice(total, n));
            total += n;
        }
    }
}
