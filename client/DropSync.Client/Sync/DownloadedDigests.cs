using System.Collections.Concurrent;
using DropSync.Client.Chunking;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>
/// The XXH128 digests (<see cref="KnownBlocks"/>) of a download's blocks, made as each verified block is written (about
/// a tenth of the SHA-256 the download already does), so the file's first local edit re-scans only what changed
/// instead of the whole file. Recorded only once the whole file is proven (its content hash, or every block's name).
/// </summary>
internal sealed class DownloadedDigests(long seed)
{
    private readonly ConcurrentDictionary<long, UInt128> _byOffset = new();

    /// <summary>Notes the digest of the block at <paramref name="offset"/>, whose bytes are about to be written.</summary>
    public void Add(long offset, ReadOnlySpan<byte> block) => Add(offset, KnownBlocks.Digest(block, seed));

    /// <summary>Notes a digest already made with this index's seed (a block reused from a local file).</summary>
    public void Add(long offset, UInt128 digest) => _byOffset[offset] = digest;

    /// <summary>The stored form for <paramref name="blocks"/> (the file's list, in order), or null when a block has no digest.</summary>
    public byte[]? Encode(IReadOnlyList<BlockRef> blocks)
    {
        var chunks = new List<Chunk>(blocks.Count);
        long offset = 0;
        foreach (var block in blocks)
        {
            if (!_byOffset.TryGetValue(offset, out var fast))
            {
                return null;
            }

            chunks.Add(new Chunk(offset, block.Size, block.Hash, fast));
            offset += block.Size;
        }

        return chunks.Count == 0 ? null : KnownBlocks.Encode(chunks);
    }
}
