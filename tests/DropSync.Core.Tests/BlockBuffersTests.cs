using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DropSync.Core.Content;

namespace DropSync.Core.Tests;

/// <summary>
/// The server-wide block buffers. Other tests may hold buffers at the same time, which only raises the counts, so these
/// assert what must hold however many buffers others hold.
/// </summary>
public class BlockBuffersTests
{
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
