using System.Collections.Concurrent;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DropSync.Client.Tests;

/// <summary>The index's known blocks through a sync: an edit re-scans with them, and an older client's index gains them.</summary>
[Collection("server")]
public sealed class KnownBlocksSyncTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_one_byte_insert_is_rescanned_from_the_known_blocks_and_arrives_whole()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 41);
            a.Write("big.bin", data);
            await a.SyncAsync();

            byte[] edited = [.. data.AsSpan(0, data.Length / 2), 42, .. data.AsSpan(data.Length / 2)];
            a.Write("big.bin", edited);
            var log = new ConcurrentQueue<string>();
            a.Counter.Reset();
            await a.Engine.SyncAsync(new SyncOptions { Log = log.Enqueue });

            var line = Assert.Single(log, l => l.Contains("named from its previous scan", StringComparison.Ordinal));
            Assert.Matches(@"^big\.bin: \d+ of \d+ blocks named from its previous scan, [12] cut and hashed$", line);
            Assert.InRange(a.Counter.Sent, 1, 8L * 1024 * 1024);
            await b.SyncAsync();
            Assert.Equal(edited, File.ReadAllBytes(b.PathOf("big.bin")));
        }
    }

    /// <summary>
    /// Uploads and downloads each ask for the seed as they start, several at once in a pass; on a new index each once
    /// made a seed of its own, so one file's digests could be made with a seed the index then forgot (its next re-scan
    /// named none of its known blocks). Threads released together, on one connection and on two, many times over.
    /// </summary>
    [Fact]
    public void Transfers_starting_at_once_on_a_new_index_all_get_the_one_seed_it_keeps()
    {
        const int Threads = 8;
        for (var round = 0; round < 20; round++)
        {
            var root = Directory.CreateTempSubdirectory("dropsync-seed-").FullName;
            try
            {
                var seeds = new long[Threads];
                using (var index = LocalIndex.Open(root))
                using (var other = LocalIndex.Open(root))
                using (var start = new Barrier(Threads))
                {
                    var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
                    {
                        start.SignalAndWait();
                        seeds[i] = (i % 4 == 3 ? other : index).FastDigestSeed();
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    threads.ForEach(t => t.Join());
                }

                using var reopened = LocalIndex.Open(root);
                var kept = reopened.FastDigestSeed();
                Assert.All(seeds, seed => Assert.Equal(kept, seed));
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public void An_index_written_by_an_older_client_gains_the_table_and_keeps_its_entries()
    {
        var root = Directory.CreateTempSubdirectory("dropsync-old-index-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, LocalIndex.StateFolder));
            var file = Path.Combine(root, LocalIndex.StateFolder, "index.db");
            var hex = new string('a', 64);

            // The schema and a row as the client before known blocks wrote them.
            using (var db = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                cmd.CommandText = $"""
                    CREATE TABLE files(key TEXT PRIMARY KEY, path TEXT NOT NULL, is_dir INTEGER NOT NULL, size INTEGER NOT NULL,
                        mtime INTEGER NOT NULL, rev TEXT, content_hash TEXT, blocks TEXT NOT NULL);
                    CREATE TABLE uploads(key TEXT PRIMARY KEY, upload_id TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
                        blocks TEXT NOT NULL, expires INTEGER NOT NULL);
                    CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT NOT NULL);
                    INSERT INTO files VALUES('big.bin', '/big.bin', 0, 5, 99, 'r1', NULL, '{hex}:5');
                    """;
                cmd.ExecuteNonQuery();
            }

            using (var index = LocalIndex.Open(root))
            {
                var entry = index.Get("big.bin");
                Assert.NotNull(entry);
                Assert.Equal(hex, Assert.Single(entry.Blocks).Hash.Hex);
                Assert.Null(index.GetKnownBlocks("big.bin"));
                index.PutKnownBlocks("big.bin", [1, 2, 3]);
                Assert.Equal([1, 2, 3], index.GetKnownBlocks("big.bin"));
                Assert.Equal(index.FastDigestSeed(), index.FastDigestSeed());
                index.Remove("big.bin");
                index.Flush();
                Assert.Null(index.GetKnownBlocks("big.bin"));
            }

            // And the older client's own statements still work on the index as this one left it.
            using (var db = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                cmd.CommandText = $"INSERT OR REPLACE INTO files VALUES('big.bin', '/big.bin', 0, 5, 100, 'r2', NULL, '{hex}:5')";
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
