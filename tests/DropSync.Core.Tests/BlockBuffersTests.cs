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
        var buffer = BlockBuffers.RentFor(size);
        try
        {
            Assert.InRange(buffer.Length, size, (2 * size) + 16);
        }
        finally
        {
            BlockBuffers.ReturnFor(buffer, size);
        }
    }

    [Theory]
    [InlineData(BlockBuffers.SmallBlockLimit)]
    [InlineData(Limits.MaxBlockSize)]
    public void A_large_block_gets_a_block_sized_pooled_buffer(int size)
    {
        var buffer = BlockBuffers.RentFor(size);
        try
        {
            Assert.True(buffer.Length >= Limits.MaxBlockSize);
        }
        finally
        {
            BlockBuffers.ReturnFor(buffer, size);
        }
    }
}
