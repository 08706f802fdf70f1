using System.Buffers;
using System.Collections.Concurrent;

namespace DropSync.Core.Content;

/// <summary>
/// The pool of block-sized (4 MiB) buffers the server's transfer paths use, so that a transfer allocates nothing per
/// block. Bounded rather than <see cref="ArrayPool{T}.Shared"/>, whose per-thread and per-core caches can keep several
/// idle 4 MiB arrays for every thread that ever returned one: this keeps at most <see cref="MaxKept"/>, and a buffer
/// returned beyond that is freed. The buffers are native and aligned (<see cref="BlockBuffer"/>), so that the embedded
/// block store seals and opens blocks in them in place, with no buffer of its own.
/// </summary>
public static class BlockBuffers
{
    /// <summary>
    /// Four concurrent transfers' worth (a media upload holds one, four while it pipelines alone), kept while the server is
    /// idle. More are mapped when needed; those that come back are kept too, up to <see cref="MaxKeptWhileBusy"/>, until
    /// <see cref="ExtrasLinger"/> has passed, then unmapped (<see cref="TrimExtras"/>): a momentary fifth (a race between
    /// one transfer's return and another's rent) is not kept for the rest of the process (issue 12, round 10), and a
    /// client's six parallel block PUTs no longer map, fault in (the kernel zeroing 4 MiB) and unmap a buffer for every
    /// few blocks (issue 12, round 12).
    /// </summary>
    public const int MaxKept = 4;

    /// <summary>Most buffers kept for <see cref="ExtrasLinger"/> after a burst: a client's block PUTs (six at once) and a few more.</summary>
    public const int MaxKeptWhileBusy = 8;

    /// <summary>How long buffers beyond <see cref="MaxKept"/> are kept, from the first return that takes the pool past it.</summary>
    public static readonly TimeSpan ExtrasLinger = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How much of a block goes to a response per write: each write waits for the transport (Kestrel pauses its output
    /// pipe at 64 KiB), so a slow reader holds back its own response and the server never buffers a whole block twice.
    /// </summary>
    public const int ResponseChunkSize = 256 * 1024;


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
    /// Most buffers rented through <see cref="TryRentSpare"/> at once, server-wide: one media upload's spares
    /// (<see cref="Files.MediaStorePipeline.MaxSpares"/>). A media upload pipelines (stores blocks while reading the next)
    /// only with spares; other concurrent uploads store each block before reading the next. Several uploads keep the cores
    /// busy by themselves, and each spare costs 4 MiB: with four parallel media uploads this is what kept the server's
    /// peak RSS flat (issue 12).
    /// </summary>
    public const int MaxSpare = 3;

    private static int s_sparesRented;
    private static int s_rentedOut;

    private static readonly ConcurrentBag<BlockBuffer> s_free = [];
    private static readonly Timer s_trim = new(_ => TrimExtras(), null, Timeout.Infinite, Timeout.Infinite);
    private static int s_kept;
    private static int s_trimArmed;

    /// <summary>Buffers in the pool now (not rented).</summary>
    public static int Kept => Volatile.Read(ref s_kept);

    /// <summary>A buffer for one block (<see cref="Limits.MaxBlockSize"/> bytes); give it back with <see cref="Return"/>.</summary>
    public static BlockBuffer Rent()
    {
        Interlocked.Increment(ref s_rentedOut);
        return Take();
    }

    public static void Return(BlockBuffer buffer)
    {
        Keep(buffer);
        Interlocked.Decrement(ref s_rentedOut);
    }

    /// <summary>
    /// A buffer for a block store's own work (a block that did not come in one of these buffers): not counted as a
    /// transfer's (<see cref="SpareWanted"/>), since the store holds it only while it seals or opens one block.
    /// </summary>
    public static BlockBuffer RentForStore() => Take();

    public static void ReturnFromStore(BlockBuffer buffer) => Keep(buffer);

    private static BlockBuffer Take()
    {
        if (s_free.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref s_kept);
            return buffer;
        }

        return new BlockBuffer();
    }

    private static void Keep(BlockBuffer buffer)
    {
        var kept = Interlocked.Increment(ref s_kept);
        if (kept <= MaxKeptWhileBusy)
        {
            s_free.Add(buffer);
            if (kept > MaxKept && Interlocked.Exchange(ref s_trimArmed, 1) == 0)
            {
                s_trim.Change(ExtrasLinger, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        Interlocked.Decrement(ref s_kept);
        ((IDisposable)buffer).Dispose();
    }

    /// <summary>Unmaps the pooled buffers beyond <see cref="MaxKept"/> (rented ones are not touched); runs <see cref="ExtrasLinger"/> after the pool first holds more.</summary>
    public static void TrimExtras()
    {
        Volatile.Write(ref s_trimArmed, 0);
        while (Volatile.Read(ref s_kept) > MaxKept && s_free.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref s_kept);
            ((IDisposable)buffer).Dispose();
        }
    }

    /// <summary>
    /// Whether the holder of spares (who holds one buffer besides them) should give them back: another transfer holds a
    /// block buffer too, so the cores have other work and the spares would only add to the server's memory.
    /// </summary>
    public static bool SpareWanted => Volatile.Read(ref s_rentedOut) - Volatile.Read(ref s_sparesRented) > 1;

    /// <summary>
    /// Blocks below this size get a buffer from <see cref="ArrayPool{T}.Shared"/> sized to them (<see cref="RentFor"/>):
    /// a response for a small file then holds kilobytes, not one of the few 4 MiB buffers (which, past the pool's
    /// <see cref="MaxKept"/>, were allocated and zeroed per request).
    /// </summary>
    public const int SmallBlockLimit = 1024 * 1024;

    /// <summary>Room for a block of <paramref name="blockSize"/> bytes: sized to it when small, else a pooled block buffer; dispose it to give it back.</summary>
    public static IMemoryOwner<byte> RentFor(int blockSize)
    {
        if (blockSize < SmallBlockLimit)
        {
            return new SharedArrayLease(ArrayPool<byte>.Shared.Rent(Math.Max(1, blockSize)));
        }

#pragma warning disable CA2000 // The lease owns the buffer and gives it back when disposed.
        return new PooledLease(Rent());
#pragma warning restore CA2000
    }

    /// <summary>An array of <see cref="ArrayPool{T}.Shared"/>, all of it, until disposed.</summary>
    public sealed class SharedArrayLease(byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(SharedArrayLease));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    private sealed class PooledLease(BlockBuffer buffer) : IMemoryOwner<byte>
    {
        private BlockBuffer? _buffer = buffer;

        public Memory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledLease))).Memory;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
            {
                Return(buffer);
            }
        }
    }

    /// <summary>A second buffer for pipelining, or null when <see cref="MaxSpare"/> are out already; give it back with <see cref="ReturnSpare"/>.</summary>
    public static BlockBuffer? TryRentSpare()
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
    public static BlockBuffer? TryRentSpareForSoleTransfer() => SpareWanted ? null : TryRentSpare();

    /// <summary>Gives back a buffer from <see cref="TryRentSpare"/> (or any buffer of this pool in its place: they are alike).</summary>
    public static void ReturnSpare(BlockBuffer buffer)
    {
        Return(buffer);
        Interlocked.Decrement(ref s_sparesRented);
    }
}
