using System.Buffers;

namespace DropSync.Core.Content;

/// <summary>
/// The pool of block-sized (4 MiB) buffers the server's transfer paths use, so that a transfer allocates no array per
/// block. Bounded rather than <see cref="ArrayPool{T}.Shared"/>, whose per-thread and per-core caches can keep several
/// idle 4 MiB arrays for every thread that ever returned one: this keeps at most <see cref="MaxKept"/>, and a buffer
/// returned beyond that goes back to the GC.
/// </summary>
public static class BlockBuffers
{
    /// <summary>
    /// Enough for a few concurrent transfers (a media upload holds one, two while it pipelines alone); more are allocated
    /// when needed and left to the GC. The pool keeps only what was returned, so it holds as many as were ever in use at
    /// once (four with four transfers: the spare is not taken while other transfers hold buffers). Fewer kept (4 was
    /// tried) made the momentary fifth buffer of a step a new array each time, which raised the peak instead (issue 12).
    /// </summary>
    public const int MaxKept = 8;

    /// <summary>
    /// How much of a block goes to a response per write: each write waits for the transport (Kestrel pauses its output
    /// pipe at 64 KiB), so a slow reader holds back its own response and the server never buffers a whole block twice.
    /// </summary>
    public const int ResponseChunkSize = 256 * 1024;

    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(Limits.MaxBlockSize, MaxKept);

    /// <summary>Writes <paramref name="data"/> to <paramref name="destination"/> in <see cref="ResponseChunkSize"/> pieces.</summary>
    public static async Task WriteChunkedAsync(Stream destination, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(ResponseChunkSize, data.Length)];
            await destination.WriteAsync(chunk, ct);
            data = data[chunk.Length..];
        }
    }

    /// <summary>
    /// Most buffers rented through <see cref="TryRentSpare"/> at once, server-wide. A media upload pipelines (stores block
    /// n while reading n+1) only with a spare; beyond this many concurrent uploads the others store each block before
    /// reading the next. Several uploads keep the cores busy by themselves, and each pipelined upload costs 4 MiB more:
    /// with four parallel media uploads this is what kept the server's peak RSS flat (issue 12).
    /// </summary>
    public const int MaxSpare = 1;

    private static int s_sparesRented;
    private static int s_rentedOut;

    /// <summary>A buffer of at least <see cref="Limits.MaxBlockSize"/> bytes; give it back with <see cref="Return"/>.</summary>
    public static byte[] Rent()
    {
        Interlocked.Increment(ref s_rentedOut);
        return Pool.Rent(Limits.MaxBlockSize);
    }

    public static void Return(byte[] buffer)
    {
        Pool.Return(buffer);
        Interlocked.Decrement(ref s_rentedOut);
    }

    /// <summary>
    /// Whether the holder of a spare (who holds two buffers) should give it back: another transfer holds a block buffer
    /// too, so the cores have other work and the spare would only add 4 MiB to the server's memory.
    /// </summary>
    public static bool SpareWanted => Volatile.Read(ref s_rentedOut) > 2;

    /// <summary>
    /// Blocks below this size get a buffer from <see cref="ArrayPool{T}.Shared"/> sized to them (<see cref="RentFor"/>):
    /// a response for a small file then holds kilobytes, not one of the few 4 MiB buffers (which, past the pool's
    /// <see cref="MaxKept"/>, were allocated and zeroed per request).
    /// </summary>
    public const int SmallBlockLimit = 1024 * 1024;

    /// <summary>A buffer with room for a block of <paramref name="blockSize"/> bytes: sized to it when small, else a pooled 4 MiB one; give it back with <see cref="ReturnFor"/> and the same size.</summary>
    public static byte[] RentFor(int blockSize) =>
        blockSize < SmallBlockLimit ? ArrayPool<byte>.Shared.Rent(Math.Max(1, blockSize)) : Rent();

    /// <summary>Gives back a buffer from <see cref="RentFor"/>; <paramref name="blockSize"/> must be the size it was rented for.</summary>
    public static void ReturnFor(byte[] buffer, int blockSize)
    {
        if (blockSize < SmallBlockLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else
        {
            Return(buffer);
        }
    }

    /// <summary>A second buffer for pipelining, or null when <see cref="MaxSpare"/> are out already; give it back with <see cref="ReturnSpare"/>.</summary>
    public static byte[]? TryRentSpare()
    {
        if (Interlocked.Increment(ref s_sparesRented) <= MaxSpare)
        {
            return Rent();
        }

        Interlocked.Decrement(ref s_sparesRented);
        return null;
    }

    /// <summary>
    /// A spare for a transfer that holds one block buffer and is the only one holding any (else null): see
    /// <see cref="SpareWanted"/>, which asks for it back once another transfer starts.
    /// </summary>
    public static byte[]? TryRentSpareForSoleTransfer() => Volatile.Read(ref s_rentedOut) <= 1 ? TryRentSpare() : null;

    /// <summary>Gives back a buffer from <see cref="TryRentSpare"/> (or any buffer of this pool in its place: they are alike).</summary>
    public static void ReturnSpare(byte[] buffer)
    {
        Return(buffer);
        Interlocked.Decrement(ref s_sparesRented);
    }
}
