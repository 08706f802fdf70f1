using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;
using Microsoft.Data.Sqlite;

namespace DropSync.Client.Tests;

/// <summary>A move replayed here is durable on disk before the index records the new place (else a power loss could leave the index ahead of the disk).</summary>
[Collection("server")]
public sealed class MoveDurabilityTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_folder_move_from_the_server_is_fsynced_in_both_parents_before_the_index_records_it()
    {
        if (PlacedFiles.FlushesEachFile)
        {
            // Elsewhere a folder cannot be opened to fsync it: nothing is flushed.
            return;
        }

        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 30; i++)
            {
                a.Write($"Old/f{i}.txt", $"file {i}");
            }

            a.Write("Old/Sub/deep.txt", "deep");
            a.Write("Elsewhere/one.txt", "one");
            await a.SyncAsync();
            await b.SyncAsync();
            Directory.CreateDirectory(a.PathOf("Kept"));
            Directory.Move(a.PathOf("Old"), a.PathOf("Kept/New"));
            File.Move(a.PathOf("Elsewhere/one.txt"), a.PathOf("one.txt"));
            Assert.Empty((await a.SyncAsync()).Errors);

            var flushed = new List<(string Folder, long Kept, long One)>();
            using var index = LocalIndex.Open(b.Engine.Root);
            index.PlacedFiles.Flushing = folder => flushed.Add((folder, RowsAt(b.Folder, "/Kept/New/%"), RowsAt(b.Folder, "/one.txt")));
            var report = await b.Engine.SyncAsync(new SyncOptions(), null, default, null, index);

            Assert.Empty(report.Errors);
            Assert.True(report.Moved >= 32, $"moved {report.Moved}");
            Assert.True(Directory.Exists(b.PathOf("Kept/New/Sub")));
            var root = Path.GetFullPath(b.Folder);
            var (kept, elsewhere) = (Path.Combine(root, "Kept"), Path.Combine(root, "Elsewhere"));
            // Where each name left and where it arrived, fsynced while the index on disk had nothing at the new place yet.
            Assert.Contains(flushed, f => f.Folder == root && f.Kept == 0);
            Assert.Contains(flushed, f => f.Folder == kept && f.Kept == 0);
            Assert.Contains(flushed, f => f.Folder == elsewhere && f.One == 0);
            Assert.Contains(flushed, f => f.Folder == root && f.One == 0);
            // Once per index commit, however many entries moved with them.
            var folders = flushed.Select(f => f.Folder).ToList();
            Assert.Equal(3, folders.Distinct().Count());
            Assert.True(folders.Count <= 6, $"{folders.Count} fsyncs for {report.Moved} moved entries: {string.Join(", ", folders)}");
            Assert.Equal(32, RowsAt(b.Folder, "/Kept/New/%")); // the 30 files, Sub and Sub/deep.txt
            Assert.Equal(1, RowsAt(b.Folder, "/one.txt"));
        }
    }

    [Fact]
    public void A_failed_fsync_of_a_rename_fails_the_commit_and_is_tried_again_at_the_next()
    {
        if (PlacedFiles.FlushesEachFile)
        {
            return;
        }

        var root = Directory.CreateTempSubdirectory("dropsync-renamed-").FullName;
        try
        {
            var placed = new PlacedFiles(root);
            Directory.CreateDirectory(Path.Combine(root, "to"));
            placed.Renamed(Path.Combine(root, "from.txt"), Path.Combine(root, "to", "from.txt"));
            var flushes = new List<string>();
            placed.Flushing = folder =>
            {
                flushes.Add(folder);
                if (flushes.Count == 1)
                {
                    throw new IOException("device gone");
                }
            };

            Assert.Throws<IOException>(placed.MakeDurable);
            placed.MakeDurable();
            Assert.Equal([root, root, Path.Combine(root, "to")], flushes);
            placed.MakeDurable(); // made durable once: the next commit has nothing to wait for
            Assert.Equal(3, flushes.Count);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    private static long RowsAt(string folder, string pathPattern)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, LocalIndex.StateFolder, "index.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM files WHERE path LIKE $p";
        cmd.Parameters.AddWithValue("$p", pathPattern);
        return (long)cmd.ExecuteScalar()!;
    }
}
