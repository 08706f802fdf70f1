using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using DropSync.Client.Chunking;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// A downloaded file has known blocks (the XXH128 digests made as its blocks were written), so its first local edit is
/// re-scanned from them; and a file moved or renamed, here or on the server, keeps them.
/// </summary>
[Collection("server")]
public sealed partial class KnownBlocksAfterDownloadTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_downloaded_file_s_first_edit_is_rescanned_from_the_blocks_it_came_in()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 91);
            a.Write("big.bin", data);
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("big.bin")));

            byte[] edited = [.. data.AsSpan(0, data.Length / 2), 42, .. data.AsSpan(data.Length / 2)];
            b.Write("big.bin", edited);
            var (reused, total) = await SyncAndReadReuseAsync(b, "big.bin");

            Assert.InRange(total - reused, 1, 2);
            await a.SyncAsync();
            Assert.Equal(edited, File.ReadAllBytes(a.PathOf("big.bin")));
        }
    }

    [Fact]
    public async Task A_file_renamed_here_and_moved_there_keeps_its_known_blocks_on_both_devices()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var x = TestData.RandomBytes(24 * 1024 * 1024, 92);
            var y = TestData.RandomBytes(24 * 1024 * 1024, 93);
            a.Write("x.bin", x);
            a.Write("y.bin", y);
            // Apart by a second: written in the same clock tick they would share size and mtime, and two renames of such
            // files are not taken for moves (SyncPlanner.LocalMoves; planner scenario 49).
            File.SetLastWriteTimeUtc(a.PathOf("y.bin"), File.GetLastWriteTimeUtc(a.PathOf("x.bin")).AddSeconds(1));
            await a.SyncAsync();
            await b.SyncAsync();
            // Both uploaded (a) and downloaded (b) at once: each file's digests are made with the seed its index keeps.
            AssertKnownBlocksNameTheFile(a, ("x.bin", x), ("y.bin", y));
            AssertKnownBlocksNameTheFile(b, ("x.bin", x), ("y.bin", y));

            // a renames both (each recognised as a move and replayed on the server); b replays the server's moves.
            File.Move(a.PathOf("x.bin"), a.PathOf("x2.bin"));
            File.Move(a.PathOf("y.bin"), a.PathOf("y2.bin"));
            var moved = await a.SyncAsync();
            Assert.Equal(0, moved.FilesUploaded);
            var replayed = await b.SyncAsync();
            Assert.Equal(0, replayed.FilesDownloaded);
            Assert.Equal(["x2.bin", "y2.bin"], b.Files());
            AssertKnownBlocksNameTheFile(a, ("x2.bin", x), ("y2.bin", y));
            AssertKnownBlocksNameTheFile(b, ("x2.bin", x), ("y2.bin", y));

            // a's known blocks of x (from its upload's scan) followed the rename it recognised.
            byte[] xEdited = [.. x.AsSpan(0, x.Length / 3), 7, .. x.AsSpan(x.Length / 3)];
            a.Write("x2.bin", xEdited);
            var (reusedOnA, totalOnA) = await SyncAndReadReuseAsync(a, "x2.bin");
            Assert.InRange(totalOnA - reusedOnA, 1, 2);

            // b's known blocks of y (from its download) followed the move it performed.
            byte[] yEdited = [.. y.AsSpan(0, y.Length / 3), 7, .. y.AsSpan(y.Length / 3)];
            b.Write("y2.bin", yEdited);
            var (reusedOnB, totalOnB) = await SyncAndReadReuseAsync(b, "y2.bin");
            // All but the one or two blocks around the insert. (Round 12 saw 0 of N in about one run in five: the two
            // transfers of the first sync each made the new index a seed of its own; docs/performance/client-history.md,
            // "Round 13: known blocks after a rename".)
            Assert.InRange(totalOnB - reusedOnB, 1, 2);
        }
    }

    /// <summary>Each file's known blocks, read from the device's index, name its first block under the seed the index keeps.</summary>
    private static void AssertKnownBlocksNameTheFile(Device device, params (string Rel, byte[] Data)[] files)
    {
        using var index = LocalIndex.Open(device.Folder);
        var seed = index.FastDigestSeed();
        foreach (var (rel, data) in files)
        {
            var stored = index.GetKnownBlocks(SyncEngine.KeyOf("/" + rel));
            Assert.True(stored is not null, $"{device.Name} has no known blocks for {rel}");
            var known = KnownBlocks.For(stored, seed, data.Length);
            Assert.True(known?.Match(data, 0, atEnd: false) is not null, $"{device.Name}'s known blocks of {rel} do not name its first block (seed {seed})");
        }
    }

    /// <summary>Syncs with a log and reads the scan's line "N of M blocks named from its previous scan" for the file (fails if there is none: a full scan).</summary>
    private static async Task<(int Reused, int Total)> SyncAndReadReuseAsync(Device device, string rel)
    {
        var log = new ConcurrentQueue<string>();
        var report = await device.Engine.SyncAsync(new SyncOptions { Log = log.Enqueue });
        Assert.Empty(report.Conflicts);
        Assert.Equal(1, report.FilesUploaded);
        var lines = log.Where(l => l.StartsWith(rel + ":", StringComparison.Ordinal) && l.Contains("named from its previous scan", StringComparison.Ordinal)).ToList();
        // On failure, the pass's lines about the file say what the scan did instead.
        Assert.True(lines.Count == 1, $"expected one re-scan line for {rel}; the log says:\n" + string.Join('\n', log.Where(l => l.Contains(rel, StringComparison.Ordinal))));
        var line = lines[0];
        var match = ReuseLine().Match(line);
        Assert.True(match.Success, line);
        return (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@": (\d+) of (\d+) blocks named from its previous scan")]
    private static partial Regex ReuseLine();
}
