using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DropSync.Benchmarks;

/// <summary>
/// Deterministic, incompressible bytes, addressed by (seed, block index): block <c>i</c> of a file can be regenerated on
/// its own, so neither a whole file nor its blocks ever need to be kept. Eight interleaved xorshift64 lanes in two
/// 256-bit vectors produce 64 bytes per step, several GB/s on one core, so the generator is never what a transfer waits
/// for. Not cryptographic; zstd cannot shrink it, which is the point (the server's compression attempt gives up).
/// </summary>
internal struct PseudoRandomBlock
{
    /// <summary>The fixed block size of the service (and of the Dropbox content hash's pieces).</summary>
    public const int BlockSize = 4 * 1024 * 1024;

    private const int StepBytes = 64;

    private Vector256<ulong> _a;
    private Vector256<ulong> _b;

    public PseudoRandomBlock(ulong seed, long blockIndex)
    {
        var state = seed ^ (0x9E3779B97F4A7C15UL * (ulong)(blockIndex + 1));
        _a = Vector256.Create(Next(ref state), Next(ref state), Next(ref state), Next(ref state));
        _b = Vector256.Create(Next(ref state), Next(ref state), Next(ref state), Next(ref state));
    }

    /// <summary>
    /// Writes the next <paramref name="destination"/>.Length bytes of the block. Every call but a block's last must ask for
    /// a multiple of 64 bytes, so that a block generated in chunks equals the block generated at once.
    /// </summary>
    public void Fill(Span<byte> destination)
    {
        var whole = destination.Length / StepBytes * StepBytes;
        var words = MemoryMarshal.Cast<byte, ulong>(destination[..whole]);
        ref var start = ref MemoryMarshal.GetReference(words);
        for (nuint i = 0; i < (nuint)words.Length; i += 8)
        {
            Step();
            _a.StoreUnsafe(ref start, i);
            _b.StoreUnsafe(ref start, i + 4);
        }

        if (whole < destination.Length)
        {
            Span<ulong> tail = stackalloc ulong[8];
            Step();
            _a.CopyTo(tail);
            _b.CopyTo(tail[4..]);
            MemoryMarshal.AsBytes(tail)[..(destination.Length - whole)].CopyTo(destination[whole..]);
        }
    }

    /// <summary>Block <paramref name="blockIndex"/> of a file of <paramref name="fileLength"/> bytes: its length.</summary>
    public static int LengthOf(long fileLength, long blockIndex) => (int)Math.Min(BlockSize, fileLength - (blockIndex * BlockSize));

    public static int BlockCount(long fileLength) => (int)((fileLength + BlockSize - 1) / BlockSize);

    /// <summary>Generates a whole block into <paramref name="destination"/> (at least <see cref="LengthOf"/> bytes long).</summary>
    public static Span<byte> Generate(ulong seed, long fileLength, long blockIndex, Span<byte> destination)
    {
        var block = destination[..LengthOf(fileLength, blockIndex)];
        new PseudoRandomBlock(seed, blockIndex).Fill(block);
        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Step()
    {
        _a ^= _a << 13;
        _b ^= _b << 13;
        _a ^= _a >>> 7;
        _b ^= _b >>> 7;
        _a ^= _a << 17;
        _b ^= _b << 17;
    }

    /// <summary>SplitMix64, to spread a seed into non-zero xorshift states.</summary>
    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31)) | 1;
    }
}
