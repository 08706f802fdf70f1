using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// The pass-wide bound on block transfers (<c>SyncOptions.MaxBlockTransfers</c>): many large files side by side keep at
/// most that many block requests in flight, up and down, each holding a block buffer; the files still arrive whole.
/// </summary>
[Collection("server")]
public sealed class BlockTransferBoundTests(ServerFixture fixture)
{
    private const int Files = 8;

    [Fact]
    public async Task Many_large_files_keep_the_pass_within_its_block_transfers_up_and_down()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var contents = Enumerable.Range(0, Files).Select(i => TestData.RandomBytes(6 * 1024 * 1024, seed: 700 + i)).ToList();
            for (var i = 0; i < Files; i++)
            {
                a.Write($"videos/clip {i}.bin", contents[i]);
            }

            a.Counter.Reset();
            await a.SyncAsync(maxBlockTransfers: 2);
            var mostUp = a.Counter.MostBlockRequestsAtOnce;

            b.Counter.Reset();
            await b.SyncAsync(maxBlockTransfers: 2);
            var mostDown = b.Counter.MostBlockRequestsAtOnce;

            Assert.InRange(mostUp, 1, 2);
            Assert.InRange(mostDown, 1, 2);
            for (var i = 0; i < Files; i++)
            {
                Assert.Equal(contents[i], await File.ReadAllBytesAsync(b.PathOf($"videos/clip {i}.bin")));
            }
        }
    }

    [Fact]
    public async Task Without_a_tight_bound_the_same_files_go_up_side_by_side()
    {
        // The counter's own check: the files above would overlap past 2 if nothing held them back.
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < Files; i++)
            {
                a.Write($"videos/clip {i}.bin", TestData.RandomBytes(6 * 1024 * 1024, seed: 800 + i));
            }

            a.Counter.Reset();
            await a.SyncAsync(maxBlockTransfers: 64);

            Assert.True(a.Counter.MostBlockRequestsAtOnce > 2, $"at most {a.Counter.MostBlockRequestsAtOnce} block requests at once");
        }
    }
}
