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
    /// The page's blocks still to fetch (those not <paramref name="kept"/> from the part file) as runs where every block
    /// of the run is to come from the network (none kept, none held by a local file), otherwise block by block. Where a
    /// stretch of needed blocks starts or stops inside one of the page's runs (a resumed download, a local block), the
    /// server is asked for that stretch's own runs (<see cref="RunsOfStretchesAsync"/>). A server without runs (AWS
    /// mode) gives only blocks.
    /// </summary>
    private async Task<List<PageWork>> PlanPageAsync(string path, string? rev, BlockList page, bool[] kept, CancellationToken ct)
    {
        var blocks = page.Blocks;
        var runs = new List<BlockRun>();
        if (page.Runs is { } offered)
        {
            var needed = new bool[blocks.Count];
            for (var i = 0; i < blocks.Count; i++)
            {
                needed[i] = !kept[i] && !p.LocalBlocks.Has(blocks[i].Hash);
            }

            var taken = new bool[blocks.Count];
            runs.AddRange(offered.Where(run => Fits(page, run, needed, taken)));
            // The needed stretches no offered run fits (where a stretch begins or ends inside a run): their own runs.
            var stretches = Stretches(needed, taken);
            // Fewer runs than parallel fetches would put the file on fewer connections than block by block does (on a
            // long-latency link one stream is slower than several): runs only pay where they still fill every slot.
            var expected = runs.Count + stretches.Sum(s => BlockRuns.Cut(RefsOf(blocks, s.First, s.Count)).Count(c => c.Count >= 2));
            if (expected >= p.Options.BlockParallelism)
            {
                var asked = await RunsOfStretchesAsync(path, rev, page.Start, stretches, ct);
                runs.AddRange(asked.Where(run => Fits(page, run, needed, taken)));
            }
            else
            {
                runs.Clear();
            }
        }

        // In file order, so the pieces in memory are those of the blocks in flight; what no run took (all of the page,
        // without runs) one block at a time.
        var startingAt = runs.ToDictionary(run => run.First - page.Start);
        var plan = new List<PageWork>(blocks.Count);
        for (var i = 0; i < blocks.Count; i++)
        {
            if (startingAt.TryGetValue(i, out var run))
            {
                plan.Add(new PageWork(run, blocks.Skip(i).Take(run.Count).ToList()));
                i += run.Count - 1;
            }
            else if (!kept[i])
            {
                plan.Add(new PageWork(null, [blocks[i]]));
            }
        }

        return plan;
    }

    /// <summary>
    /// Whether <paramref name="run"/> lies inside the page, matches its blocks' offsets and sizes, carries at least two
    /// blocks, all <paramref name="needed"/> and none already <paramref name="taken"/> by another run (then marked taken).
    /// </summary>
    private static bool Fits(BlockList page, BlockRun run, bool[] needed, bool[] taken)
    {
        var first = run.First - page.Start;
        if (run.Count < 2 || first < 0 || first + run.Count > page.Blocks.Count
            || needed.AsSpan(first, run.Count).Contains(false) || taken.AsSpan(first, run.Count).Contains(true))
        {
            return false;
        }

        var blocks = page.Blocks;
        long size = 0;
        for (var i = first; i < first + run.Count; i++)
        {
            size += blocks[i].Size;
        }

        if (blocks[first].Offset != run.Offset || size != run.Size)
        {
            return false;
        }

        taken.AsSpan(first, run.Count).Fill(true);
        return true;
    }

    /// <summary>The stretches (page-relative first block, count) of two or more needed blocks no run has taken.</summary>
    private static List<(int First, int Count)> Stretches(bool[] needed, bool[] taken)
    {
        var stretches = new List<(int, int)>();
        var i = 0;
        while (i < needed.Length)
        {
            if (!needed[i] || taken[i])
            {
                i++;
                continue;
            }

            var first = i;
            while (i < needed.Length && needed[i] && !taken[i])
            {
                i++;
            }

            if (i - first >= 2)
            {
                stretches.Add((first, i - first));
            }
        }

        return stretches;
    }

    private static List<BlockRef> RefsOf(IReadOnlyList<BlockDownload> blocks, int first, int count) =>
        blocks.Skip(first).Take(count).Select(b => new BlockRef(BlockHash.Parse(b.Hash), b.Size)).ToList();

    /// <summary>
    /// The runs the server cuts for each stretch, asked as a block list page of just that stretch (one small POST per
    /// stretch, each saving at least one GET); a server that answers without runs gives none.
    /// </summary>
    private async Task<List<BlockRun>> RunsOfStretchesAsync(string path, string? rev, int pageStart, List<(int First, int Count)> stretches, CancellationToken ct)
    {
        var runs = new List<BlockRun>();
        await Parallel.ForEachAsync(stretches, new ParallelOptions { MaxDegreeOfParallelism = p.Options.BlockParallelism, CancellationToken = ct }, async (s, c) =>
        {
            var part = await TransientRetry.RunAsync(t => p.Api.GetBlocksAsync(path, rev, pageStart + s.First, s.Count, t), c);
            lock (runs)
            {
                runs.AddRange(part.Runs ?? []);
            }
        });
        return runs;
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
