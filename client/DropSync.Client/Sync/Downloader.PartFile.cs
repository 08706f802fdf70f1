using System.Buffers;
using DropSync.Client.Api;
using DropSync.Client.Transfer;
using DropSync.Core.Content;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Sync;

/// <summary>The part file an interrupted download left: the blocks of it that verify are kept, the rest fetched.</summary>
internal sealed partial class Downloader
{
    /// <summary>
    /// Reads each of the page's blocks that lies inside the part file's first <paramref name="existingLength"/> bytes, and
    /// not in a hole, and keeps it when its SHA-256 matches its name (handed to the pieces like a fetched block). Answers which blocks were
    /// kept, so the rest can be planned as runs before any is fetched.
    /// </summary>
    private async Task<bool[]> KeepFromPartFileAsync(string path, SafeFileHandle handle, long existingLength, BlockList page, PieceWriter pieces, DownloadedDigests digests, CancellationToken ct)
    {
        var kept = new bool[page.Blocks.Count];
        // Blocks in the part file's holes were never written: needed, with no read (SparseFile).
        var inFile = Enumerable.Range(0, page.Blocks.Count).Where(i =>
            page.Blocks[i].Offset + page.Blocks[i].Size <= existingLength && SparseFile.MayHoldData(handle, page.Blocks[i].Offset, page.Blocks[i].Size));
        await Parallel.ForEachAsync(inFile, new ParallelOptions { MaxDegreeOfParallelism = p.Options.BlockParallelism, CancellationToken = ct }, async (i, c) =>
        {
            var b = page.Blocks[i];
            var buffer = ArrayPool<byte>.Shared.Rent(b.Size);
            try
            {
                var span = buffer.AsMemory(0, b.Size);
                if (await ResumableUploader.ReadExactlyAtAsync(handle, span, b.Offset, c) == b.Size && BlockHash.Of(span.Span).Hex == b.Hash)
                {
                    digests.Add(b.Offset, span.Span);
                    pieces.Written(b.Offset, span.Span);
                    p.Advance(b.Size, path);
                    kept[i] = true;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
        return kept;
    }
}
