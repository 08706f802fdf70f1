using DropSync.Core.Content;

namespace DropSync.Api.Blocks;

/// <summary>
/// The second block buffers that block runs read ahead into (block i+1 read and opened while block i is sent), bounded
/// server-wide: beyond <see cref="MaxBuffers"/> runs at once, a run reads each block after sending the one before, as
/// without read-ahead. Several runs in flight keep the cores busy by themselves; the bound keeps the server's memory to
/// 4 MiB more per reading-ahead run, at most <see cref="MaxBuffers"/> of them.
/// </summary>
internal static class RunReadAhead
{
    /// <summary>A client's parallel fetches (six) less the two the store's read gate admits at once anyway.</summary>
    public const int MaxBuffers = 4;

    private static int s_out;

    /// <summary>A buffer to read the next block into, or null when <see cref="MaxBuffers"/> are out; give it back with <see cref="Return"/>.</summary>
    public static BlockBuffer? TryRent()
    {
        if (Interlocked.Increment(ref s_out) <= MaxBuffers)
        {
            return BlockBuffers.Rent();
        }

        Interlocked.Decrement(ref s_out);
        return null;
    }

    public static void Return(BlockBuffer buffer)
    {
        BlockBuffers.Return(buffer);
        Interlocked.Decrement(ref s_out);
    }
}
