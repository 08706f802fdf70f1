using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using DropSync.Core.Content;

namespace DropSync.Client.Chunking;

/// <summary>
/// One content-defined block of a stream: where it starts, how long it is, its SHA-256 name, and (when the scan was
/// asked for them) its XXH128 digest, by which a later re-scan knows it (<see cref="KnownBlocks"/>).
/// </summary>
public sealed record Chunk(long Offset, int Size, BlockHash Hash, UInt128 Fast = default);

/// <summary>Sizes of content-defined blocks. The defaults are DropSync's: 256 KiB min, 1 MiB average, 4 MiB max.</summary>
public sealed record ChunkerOptions(int MinSize = 256 * 1024, int AverageSize = 1024 * 1024, int MaxSize = Limits.MaxBlockSize)
{
    /// <summary>Files of this size or more are cut into <see cref="Large"/> blocks.</summary>
    public const long LargeFileThreshold = 256L * 1024 * 1024;

    public static ChunkerOptions Default { get; } = new();

    /// <summary>
    /// Blocks for large files: 512 KiB min, 2 MiB average (about 2.3 MiB mean), 4 MiB max. Half as many blocks as
    /// <see cref="Default"/>, so half the block requests and the server's per-block work (a file created, written,
    /// fsynced and renamed each); a one-byte change re-sends about 2.3 MiB instead of 1.2 MiB.
    /// </summary>
    public static ChunkerOptions Large { get; } = new(512 * 1024, 2 * 1024 * 1024, Limits.MaxBlockSize);

    /// <summary>
    /// The sizes every device uses for a file of <paramref name="length"/> bytes: they depend on the length alone, so
    /// two devices cut the same bytes the same way. A file that crosses the threshold is cut afresh (no blocks shared
    /// with its version on the other side of it).
    /// </summary>
    public static ChunkerOptions ForLength(long length) => length >= LargeFileThreshold ? Large : Default;
}

/// <summary>
/// FastCDC content-defined chunking (Xia et al., 2016/2020) with normalised chunking and cut-point skipping, and
/// SHA-256 naming of each block. A pure function over a stream: it knows nothing of files or the network.
/// <para>
/// Hand-written: the only FastCDC package on nuget.org (FastCdcFs.Net) is not served by this project's NuGet source
/// (restore fails with NU1101), and no other NuGet package implements FastCDC.
/// </para>
/// <para>
/// The scan runs on the calling thread (one core; a gear scan is ~1.7 GB/s here) and skips the first
/// <see cref="ChunkerOptions.MinSize"/> bytes of every block; each block is hashed by workers on all cores where it
/// lies, in a ring of read buffers (<see cref="ReadRing"/>). Memory stays flat whatever the stream's length: the ring.
/// </para>
/// </summary>
public static class FastCdc
{
    // Three 8 MiB read buffers (24 MiB; before round 15 one 16 MiB buffer plus up to six 4 MiB block copies): the scan
    // fills one while the blocks of the other two are hashed. What is left of a buffer past its last whole block (under
    // 4 MiB) is copied into the next, the only copy left: ~2 MiB in 8.
    private const int SlabCount = 3;
    private const int SlabSize = 8 * 1024 * 1024;

    // 256 random 64-bit values from a fixed seed (SplitMix64): the same on every device and version, forever,
    // because block boundaries must agree across devices for delta sync to find shared blocks.
    private static readonly ulong[] Gear = BuildGear();

    private static ulong[] BuildGear()
    {
        var table = new ulong[256];
        var state = 0x44726f7053796e63UL; // "DropSync"
        for (var i = 0; i < table.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            table[i] = z ^ (z >> 31);
        }

        return table;
    }

    /// <summary>Normalised-chunking masks: harder to match (2 more bits) before the average size, easier (2 fewer) after.</summary>
    private static (ulong Small, ulong Large) Masks(int averageSize)
    {
        var bits = (int)Math.Round(Math.Log2(averageSize));
        // Take the high bits: with h = (h << 1) + gear[b], bit k depends on the last k+1 bytes, so the top bits see a 64-byte window.
        return (~0UL << (64 - (bits + 2)), ~0UL << (64 - (bits - 2)));
    }

    /// <summary>
    /// The length of the first block of <paramref name="data"/> (which holds at least <c>MaxSize</c> bytes unless it
    /// is the end of the stream). Exposed for tests and benchmarks of the scan alone.
    /// </summary>
    public static int FindCut(ReadOnlySpan<byte> data, ChunkerOptions options)
    {
        var length = data.Length;
        if (length <= options.MinSize)
        {
            return length;
        }

        if (length > options.MaxSize)
        {
            length = options.MaxSize;
        }

        var normal = Math.Min(options.AverageSize, length);
        var (maskS, maskL) = Masks(options.AverageSize);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(Gear);
        ref var p = ref MemoryMarshal.GetReference(data);
        ulong h = 0;
        var i = options.MinSize;
        for (; i < normal; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref p, i));
            if ((h & maskS) == 0)
            {
                return i + 1;
            }
        }

        for (; i < length; i++)
        {
            h = (h << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref p, i));
            if ((h & maskL) == 0)
            {
                return i + 1;
            }
        }

        return length;
    }

    /// <summary>
    /// Whether FastCDC, cutting from the start of <paramref name="block"/>, would end a block by content at its last
    /// byte: the gear hash there (which depends on the last 64 bytes only) matches the mask for that position. A cheap
    /// filter for <see cref="KnownBlocks"/>; the digest decides.
    /// </summary>
    internal static bool EndsACut(ReadOnlySpan<byte> block, ChunkerOptions options)
    {
        var last = block.Length - 1;
        if (last < options.MinSize)
        {
            return false;
        }

        var (maskS, maskL) = Masks(options.AverageSize);
        ulong h = 0;
        for (var i = Math.Max(options.MinSize, last - 63); i <= last; i++)
        {
            h = (h << 1) + Gear[block[i]];
        }

        return (h & (last < options.AverageSize ? maskS : maskL)) == 0;
    }

    /// <summary>Cuts <paramref name="content"/> into blocks and names each; reads to the end of the stream.</summary>
    /// <param name="options">By default <see cref="ChunkerOptions.ForLength"/> of what is left of a seekable stream, else <see cref="ChunkerOptions.Default"/>.</param>
    /// <param name="onChunk">Called in stream order as each block is named (e.g. to report progress).</param>
    /// <param name="fastSeed">When given, each block's <see cref="Chunk.Fast"/> digest is made with this seed.</param>
    /// <param name="known">
    /// The previous scan of this stream (its digests made with <paramref name="fastSeed"/>): a block whose bytes it
    /// knows is named from it, without the gear loop or SHA-256. The result is the same as without it.
    /// </param>
    public static Task<IReadOnlyList<Chunk>> ChunkAsync(
        Stream content, ChunkerOptions? options = null, Action<Chunk>? onChunk = null, CancellationToken ct = default,
        long? fastSeed = null, KnownBlocks? known = null) =>
        ChunkAsync(content, options, onChunk, fastSeed, known, SlabCount, SlabSize, null, ct);

    /// <summary><see cref="ChunkAsync(Stream, ChunkerOptions?, Action{Chunk}?, CancellationToken, long?, KnownBlocks?)"/>
    /// with its read ring's shape and pool given (tests: small slabs put many blocks across their edges).</summary>
    internal static async Task<IReadOnlyList<Chunk>> ChunkAsync(
        Stream content, ChunkerOptions? options, Action<Chunk>? onChunk, long? fastSeed, KnownBlocks? known,
        int slabCount, int slabSize, ArrayPool<byte>? pool, CancellationToken ct)
    {
        options ??= content.CanSeek ? ChunkerOptions.ForLength(content.Length - content.Position) : ChunkerOptions.Default;
        if (options.MinSize < 64 || options.AverageSize <= options.MinSize || options.MaxSize <= options.AverageSize || options.MaxSize > Limits.MaxBlockSize)
        {
            throw new ArgumentException("Chunk sizes must satisfy 64 <= min < average < max <= 4 MiB.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(slabSize, options.MaxSize);
        if (known is not null && (fastSeed != known.Seed || !known.CutWith(options)))
        {
            known = null;
        }

        var workers = Math.Max(1, Environment.ProcessorCount);
        // Unbounded: the ring bounds what is queued (every queued block holds its slab).
        var queue = Channel.CreateUnbounded<(int Index, long Offset, ReadRing.Slab Slab, int Start, int Size)>(
            new UnboundedChannelOptions { SingleWriter = true });
        var results = new List<Chunk?>();
        var resultsLock = new object();
        var emitted = 0;

        void Publish(int index, Chunk chunk)
        {
            lock (resultsLock)
            {
                while (results.Count <= index)
                {
                    results.Add(null);
                }

                results[index] = chunk;
                if (onChunk is not null)
                {
                    while (emitted < results.Count && results[emitted] is { } next)
                    {
                        onChunk(next);
                        emitted++;
                    }
                }
            }
        }

        using var ring = new ReadRing(slabCount, slabSize, pool);
        // A hasher that fails (onChunk threw) stops the scan, which would otherwise wait for slabs nobody frees.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashers = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var (index, offset, slab, start, size) in queue.Reader.ReadAllAsync(stop.Token))
                {
                    try
                    {
                        var block = slab.Bytes.AsSpan(start, size);
                        var fast = fastSeed is { } seed ? KnownBlocks.Digest(block, seed) : default;
                        Publish(index, new Chunk(offset, size, BlockHash.Of(block), fast));
                    }
                    finally
                    {
                        slab.Release();
                    }
                }
            }
            catch (Exception)
            {
                // Any failure, a cancellation included (harmless: the scan is stopping anyway).
                await stop.CancelAsync();
                throw;
            }
        }, CancellationToken.None)).ToArray();

        try
        {
            await ScanAsync(content, options, known, ring, queue.Writer, Publish, stop.Token);
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(hashers);
        }

        return results.Select(c => c!).ToList();
    }

    /// <summary>
    /// Fills the ring's slabs in turn and cuts them, queueing each block (holding its slab) for the hashers. What is
    /// left of a slab when less than a largest block remains (and the stream goes on) is copied to the front of the next.
    /// </summary>
    private static async Task ScanAsync(
        Stream content, ChunkerOptions options, KnownBlocks? known, ReadRing ring,
        ChannelWriter<(int Index, long Offset, ReadRing.Slab Slab, int Start, int Size)> queue, Action<int, Chunk> publish, CancellationToken ct)
    {
        var slab = await ring.TakeAsync(ct);
        try
        {
            int start = 0, end = 0, index = 0;
            long offset = 0;
            var eof = false;
            while (true)
            {
                if (!eof && end - start < options.MaxSize)
                {
                    if (start > 0)
                    {
                        // Blocks queued from this slab are still being hashed there: carry the rest into the next one.
                        var next = await ring.TakeAsync(ct);
                        Buffer.BlockCopy(slab.Bytes, start, next.Bytes, 0, end - start);
                        slab.Release();
                        slab = next;
                        end -= start;
                        start = 0;
                    }

                    var buffer = slab.Bytes;
                    while (end < buffer.Length)
                    {
                        var n = await content.ReadAsync(buffer.AsMemory(end, buffer.Length - end), ct);
                        if (n == 0)
                        {
                            eof = true;
                            break;
                        }

                        end += n;
                    }
                }

                if (start == end)
                {
                    break;
                }

                if (known?.Match(slab.Bytes.AsSpan(start, end - start), offset, eof) is { } same)
                {
                    // Named on this thread, in the read buffer: no gear loop, no SHA-256.
                    publish(index++, new Chunk(offset, same.Size, same.Hash, same.Fast));
                    start += same.Size;
                    offset += same.Size;
                    continue;
                }

                var size = FindCut(slab.Bytes.AsSpan(start, end - start), options);
                slab.Hold();
                if (!queue.TryWrite((index++, offset, slab, start, size)))
                {
                    slab.Release();
                    throw new InvalidOperationException("The hashing queue was closed while the scan went on.");
                }

                start += size;
                offset += size;
            }
        }
        finally
        {
            slab.Release();
        }
    }

    /// <summary>Cuts an in-memory buffer (small files): the same boundaries as <see cref="ChunkAsync"/>, hashed on this thread.</summary>
    public static IReadOnlyList<Chunk> Chunk(ReadOnlySpan<byte> content, ChunkerOptions? options = null)
    {
        options ??= ChunkerOptions.ForLength(content.Length);
        var list = new List<Chunk>();
        long offset = 0;
        while (!content.IsEmpty)
        {
            var size = FindCut(content, options);
            list.Add(new Chunk(offset, size, BlockHash.Of(content[..size])));
            content = content[size..];
            offset += size;
        }

        return list;
    }
}
