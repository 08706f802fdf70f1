using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DropSync.Core.Content;

namespace DropSync.Core.Tests;

/// <summary>
/// The server-wide block buffers. The test classes of this project that rent them (also through the code they test) are
/// one collection, so they do not run at the same time as the pool's counts are checked.
/// </summary>
[Collection(Collection)]
public class BlockBuffersTests
{
    public const string Collection = "block buffers";

    /// <summary>
    /// A client PUTs six blocks at once: the six buffers are kept for the next six (no mapping, no kernel zeroing), and a
    /// trim (<see cref="BlockBuffers.ExtrasLinger"/> later) leaves <see cref="BlockBuffers.MaxKept"/>. The checks run
    /// within microseconds of the returns, well inside the two seconds before the pool's own trim.
    /// </summary>
    [Fact]
    public void A_burst_of_six_is_reused_by_the_next_burst_and_the_extras_are_unmapped_once_trimmed()
    {
        BlockBuffers.TrimExtras();
        var burst = Enumerable.Range(0, 6).Select(_ => BlockBuffers.Rent()).ToList();
        burst.ForEach(BlockBuffers.Return);
        Assert.Equal(6, BlockBuffers.Kept);

        var again = Enumerable.Range(0, 6).Select(_ => BlockBuffers.Rent()).ToList();
        Assert.Equal(burst.ToHashSet(), again.ToHashSet());
        again.ForEach(BlockBuffers.Return);

        BlockBuffers.TrimExtras();
        Assert.Equal(BlockBuffers.MaxKept, BlockBuffers.Kept);
    }

    [Fact]
    public void No_more_than_the_busy_bound_are_kept()
    {
        var many = Enumerable.Range(0, BlockBuffers.MaxKeptWhileBusy + 3).Select(_ => BlockBuffers.Rent()).ToList();
        many.ForEach(BlockBuffers.Return);
        Assert.Equal(BlockBuffers.MaxKeptWhileBusy, BlockBuffers.Kept);
        BlockBuffers.TrimExtras();
    }

    [Fact]
    public void No_spare_goes_to_a_transfer_while_another_holds_a_block_buffer_and_a_holder_of_two_is_asked_for_it_back()
    {
        var mine = BlockBuffers.Rent();
        var another = BlockBuffers.Rent();
        var third = BlockBuffers.Rent();
        try
        {
            Assert.Null(BlockBuffers.TryRentSpareForSoleTransfer());
            Assert.True(BlockBuffers.SpareWanted);
        }
        finally
        {
            BlockBuffers.Return(mine);
            BlockBuffers.Return(another);
            BlockBuffers.Return(third);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(70_000)]
    [InlineData(BlockBuffers.SmallBlockLimit - 1)]
    public void A_small_block_gets_a_buffer_sized_to_it(int size)
    {
        using var buffer = BlockBuffers.RentFor(size);
        Assert.InRange(buffer.Memory.Length, size, (2 * size) + 16);
    }

    [Theory]
    [InlineData(BlockBuffers.SmallBlockLimit)]
    [InlineData(Limits.MaxBlockSize)]
    public void A_large_block_gets_a_block_sized_pooled_buffer(int size)
    {
        using var buffer = BlockBuffers.RentFor(size);
        Assert.True(buffer.Memory.Length >= Limits.MaxBlockSize);
    }

    /// <summary>The embedded store seals a block in place: the header room before it and the file's padding after it, aligned for direct I/O.</summary>
    [Fact]
    public void A_block_buffer_has_aligned_room_for_a_block_file_around_its_block()
    {
        var buffer = BlockBuffers.Rent();
        try
        {
            Assert.Equal(Limits.MaxBlockSize, buffer.Memory.Length);
            var file = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(buffer.FileSpan));
            var block = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(buffer.Memory.Span));
            Assert.Equal(0, file % BlockBuffer.Alignment);
            Assert.Equal(BlockBuffer.HeaderRoom, block - file);

            Assert.Equal(0, buffer.FileSpan.Length % BlockBuffer.Alignment);
            Assert.True(buffer.FileSpan.Length >= BlockBuffer.HeaderRoom + Limits.MaxBlockSize);
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }
}
