using System.Buffers;
using System.Net;
using DropSync.Client.Api;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Sync;

/// <summary>What one upload worker sends in one request: the blocks of a run (<see cref="Run"/>), or one block alone.</summary>
internal sealed record BlockSend(IReadOnlyList<MissingBlock> Blocks, UploadRun? Run)
{
    /// <summary>
    /// An answer's missing blocks not offered before, in file order: each run of the answer none of whose blocks was
    /// offered before as one send, every other block alone. Adds what it returns to <paramref name="offered"/>.
    /// </summary>
    public static List<BlockSend> Cut(IReadOnlyList<MissingBlock> missing, IReadOnlyList<UploadRun>? runs, HashSet<string> offered)
    {
        // A run of one is no cheaper than its block's own URL; one that does not fit the list is not used.
        var starts = (runs ?? []).Where(r => r.Count > 1 && r.First >= 0 && r.First + r.Count <= missing.Count).ToDictionary(r => r.First);
        var sends = new List<BlockSend>();
        for (var i = 0; i < missing.Count;)
        {
            if (starts.TryGetValue(i, out var run) && Enumerable.Range(i, run.Count).All(j => !offered.Contains(missing[j].Hash)))
            {
                var blocks = missing.Skip(i).Take(run.Count).ToList();
                offered.UnionWith(blocks.Select(b => b.Hash));
                sends.Add(new BlockSend(blocks, run));
                i += run.Count;
                continue;
            }

            if (offered.Add(missing[i].Hash))
            {
                sends.Add(new BlockSend([missing[i]], null));
            }

            i++;
        }

        return sends;
    }
}

/// <summary>
/// A run PUT's body: its blocks read from the file at their offsets as the body goes out, one pooled block buffer at a
/// time, so a run of 16 MiB holds one block in memory as a single PUT does. The length is known up front (the server
/// requires it). A file that has become shorter fails the body; the run is then sent block by block, which finds it.
/// </summary>
internal sealed class BlockRunContent(SafeFileHandle handle, IReadOnlyList<(long Offset, int Size)> blocks) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(blocks.Max(b => b.Size));
        try
        {
            foreach (var (offset, size) in blocks)
            {
                var read = await ResumableUploader.ReadExactlyAtAsync(handle, buffer.AsMemory(0, size), offset, cancellationToken);
                if (read != size)
                {
                    throw new FileChangedWhileUploadingException($"A block at {offset} is no longer all there ({read} of {size} bytes).");
                }

                await stream.WriteAsync(buffer.AsMemory(0, size), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = blocks.Sum(b => (long)b.Size);
        return true;
    }
}
