using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>
/// The Dropbox content hash (SHA-256 over the SHA-256 of each 4 MiB piece) of a file given as content-defined blocks,
/// which do not line up with the pieces, so the pieces are hashed from the blocks' bytes. Two things keep that cheap:
/// <list type="bullet">
/// <item>Pieces are independent: runs of consecutive pieces are hashed on several threads at once, each run reading its
/// blocks once (a block straddling two pieces of a run is not read twice).</item>
/// <item>A piece's digest is a pure function of the blocks that cover it (their names fix their bytes), where the piece
/// starts in the first of them and its length; digests are remembered by that key, so committing an edited file hashes
/// only the pieces whose blocks changed or moved (an edit at the end: one piece; a one-byte insert: the pieces after it).</item>
/// </list>
/// </summary>
public static class BlockListContentHash
{
    /// <summary>Most piece digests remembered (about 100 bytes each; 64k pieces cover 256 GiB of content).</summary>
    private const int MaxRemembered = 65_536;

    /// <summary>Consecutive pieces one worker hashes in order (so the block at a piece boundary is read once).</summary>
    private const int PiecesPerRun = 8;

    private static readonly ConcurrentDictionary<string, byte[]> Remembered = new(StringComparer.Ordinal);

    public static async Task<string> ComputeAsync(IReadOnlyList<BlockRef> refs, IBlockStore store, CancellationToken ct) =>
        (await ComputeCountingAsync(refs, store, ct)).Hash;

    /// <summary>The content hash, and how many pieces had to be hashed from block bytes (the rest were remembered or follow from block names).</summary>
    public static async Task<(string Hash, int PiecesHashed)> ComputeCountingAsync(IReadOnlyList<BlockRef> refs, IBlockStore store, CancellationToken ct)
    {
        if (ContentHasher.IsPieceAligned(refs))
        {
            return (ContentHasher.FromAlignedBlocks(refs), 0);
        }

        var pieces = Pieces(refs);
        var digests = new byte[pieces.Count][];
        var missing = new List<int>();
        for (var i = 0; i < pieces.Count; i++)
        {
            if (Remembered.TryGetValue(pieces[i].Key, out var digest))
            {
                digests[i] = digest;
            }
            else
            {
                missing.Add(i);
            }
        }

        var runs = Runs(missing);
        // Reads are CPU-bound here (decrypt and verify) but network-bound from S3: a few more workers than cores.
        var workers = Math.Max(4, Environment.ProcessorCount);
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, async (run, c) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = BlockBuffers.Rent();
            var held = -1;
            try
            {
                foreach (var i in run)
                {
                    foreach (var (block, from, length) in pieces[i].Segments)
                    {
                        if (held != block)
                        {
                            await store.ReadIntoAsync(refs[block].Hash, buffer.Memory, c);
                            held = block;
                        }

                        hash.AppendData(buffer.Memory.Span.Slice(from, length));
                    }

                    digests[i] = hash.GetHashAndReset();
                    Remember(pieces[i].Key, digests[i]);
                }
            }
            finally
            {
                BlockBuffers.Return(buffer);
            }
        });

        using var hasher = new ContentHasher();
        for (var i = 0; i < pieces.Count; i++)
        {
            hasher.AppendPieceDigest(digests[i], pieces[i].Length);
        }

        return (hasher.GetHashHex(), missing.Count);
    }

    internal static void Remember(string key, byte[] digest)
    {
        if (Remembered.Count >= MaxRemembered)
        {
            // Crude but bounded: forgetting costs only a re-hash of pieces that would have matched.
            Remembered.Clear();
        }

        Remembered[key] = digest;
    }

    internal sealed record Piece(int Length, List<(int Block, int From, int Length)> Segments, string Key);

    /// <summary>Each 4 MiB piece as the block ranges that make it up, with its key (SHA-256 of start offset, length and block names).</summary>
    internal static List<Piece> Pieces(IReadOnlyList<BlockRef> refs)
    {
        var pieces = new List<Piece>();
        int block = 0, from = 0;
        Span<byte> number = stackalloc byte[8];
        while (block < refs.Count)
        {
            var segments = new List<(int, int, int)>();
            using var key = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            BinaryPrimitives.WriteInt64LittleEndian(number, from);
            key.AppendData(number);
            var length = 0;
            while (length < ContentHasher.PieceSize && block < refs.Count)
            {
                var take = Math.Min(ContentHasher.PieceSize - length, refs[block].Size - from);
                segments.Add((block, from, take));
                key.AppendData(System.Text.Encoding.ASCII.GetBytes(refs[block].Hash.Hex));
                length += take;
                from += take;
                if (from == refs[block].Size)
                {
                    (block, from) = (block + 1, 0);
                }
            }

            BinaryPrimitives.WriteInt64LittleEndian(number, length);
            key.AppendData(number);
            pieces.Add(new Piece(length, segments, Convert.ToHexStringLower(key.GetHashAndReset())));
        }

        return pieces;
    }

    /// <summary>The pieces to hash, as runs of at most <see cref="PiecesPerRun"/> consecutive ones.</summary>
    private static List<List<int>> Runs(List<int> missing)
    {
        var runs = new List<List<int>>();
        foreach (var i in missing)
        {
            if (runs.Count > 0 && runs[^1].Count < PiecesPerRun && runs[^1][^1] == i - 1)
            {
                runs[^1].Add(i);
            }
            else
            {
                runs.Add([i]);
            }
        }

        return runs;
    }
}
