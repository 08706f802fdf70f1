using System.Security.Cryptography;

namespace DropSync.Core.Files;

/// <summary>
/// Fills a block buffer from a request body while the block's SHA-256 is computed behind the receive, on another thread.
/// A single media upload was latency-bound (about 70% of one core busy over the step on 2 cores): its receiving thread
/// did the socket reads and all of the hashing (~0.7 CPU-s per GiB), so it waited on neither the network nor the store
/// but on itself. Hashing in pieces handed to the thread pool lets the next bytes be received meanwhile; the pieces are
/// hashed strictly in order (each continues the one before) into the one <see cref="IncrementalHash"/>.
/// </summary>
public static class BlockHashPipeline
{
    /// <summary>
    /// Bytes received before they are handed on to be hashed: large enough that the hand-over (a thread-pool work item) is
    /// negligible next to the hashing (~0.15 ms), small enough that the last piece of a block is hashed soon after it lands.
    /// </summary>
    public const int PieceSize = 256 * 1024;

    /// <summary>
    /// Fills <paramref name="buffer"/> from <paramref name="source"/> until it is full or the stream ends; returns how many
    /// bytes arrived, all of them appended to <paramref name="hash"/> (in order) by the time the task completes. The
    /// buffer is not touched by the hashing once this returns or throws, so the caller may reuse or return it.
    /// </summary>
    public static async Task<int> ReadBlockHashingBehindAsync(Stream source, Memory<byte> buffer, IncrementalHash hash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(hash);
        var total = 0;
        var handedOn = 0;
        var hashing = Task.CompletedTask;
        try
        {
            while (total < buffer.Length)
            {
                var n = await source.ReadAsync(buffer[total..], ct);
                if (n == 0)
                {
                    break;
                }

                total += n;
                if (total - handedOn >= PieceSize)
                {
                    hashing = HashAfter(hashing, buffer[handedOn..total], hash);
                    handedOn = total;
                }
            }
        }
        finally
        {
            // On success or failure alike, no hashing may still be reading the buffer when the caller gets it back.
            await hashing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await hashing;
        hash.AppendData(buffer.Span[handedOn..total]);
        return total;
    }

    private static Task HashAfter(Task previous, ReadOnlyMemory<byte> piece, IncrementalHash hash) =>
        previous.ContinueWith(
            static (done, state) =>
            {
                done.GetAwaiter().GetResult();
                var (piece, hash) = ((ReadOnlyMemory<byte>, IncrementalHash))state!;
                hash.AppendData(piece.Span);
            },
            (piece, hash),
            CancellationToken.None,
            TaskContinuationOptions.DenyChildAttach,
            TaskScheduler.Default);
}
