using DropSync.Client.Api;
using DropSync.Client.Sync;
using Microsoft.Data.Sqlite;

namespace DropSync.Client.Tests;

/// <summary>The index's copy of the server's tree: what is saved is what is read back, and an older index starts afresh.</summary>
public sealed class StoredRemoteTreeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-remote-tree-").FullName;

    [Fact]
    public void Saved_entries_read_back_field_for_field_after_reopening()
    {
        var modified = new DateTimeOffset(2026, 12, 6, 7, 45, 1, 234, TimeSpan.FromHours(2)).AddTicks(5678);
        var file = new RemoteEntry("file", "/docs/Report.pdf", "Report.pdf", "r1", 1234, "hash1", modified, "device-a");
        var folder = new RemoteEntry("folder", "/docs", "docs", null, null, null, null, null);
        var gone = new RemoteEntry("file", "/docs/old.txt", "old.txt", "r2", 0, "hash2", modified, null);
        using (var index = LocalIndex.Open(_root))
        {
            index.SaveRemote([KeyValuePair.Create("/docs", (RemoteEntry?)folder), KeyValuePair.Create("/docs/report.pdf", (RemoteEntry?)file),
                KeyValuePair.Create("/docs/old.txt", (RemoteEntry?)gone)], "cursor-1", replace: true);
            index.SaveRemote([KeyValuePair.Create("/docs/old.txt", (RemoteEntry?)null)], "cursor-2", replace: false);
        }

        using var reopened = LocalIndex.Open(_root);
        var tree = reopened.LoadRemote();
        Assert.Equal("cursor-2", reopened.GetSetting(LocalIndex.RemoteCursorSetting));
        Assert.Equal(2, tree.Count);
        Assert.Equal(folder, tree["/docs"]);
        Assert.Equal(file, tree["/docs/report.pdf"]);
        Assert.Equal(modified.UtcTicks, tree["/docs/report.pdf"].ServerModified!.Value.UtcTicks);
        Assert.Equal(["/docs/report.pdf"], tree.KeysBelow("/docs"));
    }

    [Fact]
    public void A_synced_file_shares_its_strings_with_the_index_and_keeps_the_servers_where_they_differ()
    {
        var modified = new DateTimeOffset(2026, 12, 7, 19, 0, 0, TimeSpan.Zero);
        using (var index = LocalIndex.Open(_root))
        {
            index.Put(new IndexEntry("/docs/a.txt", "/docs/a.txt", false, 5, 100, "r1", "h1", []));
            index.Put(new IndexEntry("/docs/b.txt", "/docs/B.txt", false, 6, 101, "r2", "h2", []));
            index.Flush();
            index.SaveRemote([
                KeyValuePair.Create("/docs/a.txt", (RemoteEntry?)new RemoteEntry("file", "/docs/a.txt", "a.txt", "r1", 5, "h1", modified, "device-a")),
                KeyValuePair.Create("/docs/b.txt", (RemoteEntry?)new RemoteEntry("file", "/docs/B.txt", "B.txt", "r3", 7, "h3", modified, "device-a")),
            ], "cursor-1", replace: true);
        }

        using var reopened = LocalIndex.Open(_root);
        var tree = reopened.LoadRemote();
        var (a, indexedA) = (tree["/docs/a.txt"], reopened.Get("/docs/a.txt")!);
        Assert.Equal(new RemoteEntry("file", "/docs/a.txt", "a.txt", "r1", 5, "h1", modified, "device-a"), a);
        Assert.Same(indexedA.Path, a.Path);
        Assert.Same(indexedA.Key, indexedA.Path); // a path in lower case is its own key
        Assert.Same(indexedA.Rev, a.Rev);
        Assert.Same(indexedA.ContentHash, a.ContentHash);
        Assert.Same(a.DeviceId, tree["/docs/b.txt"].DeviceId);

        // Edited on the server since: the server's values, not the index's.
        Assert.Equal(new RemoteEntry("file", "/docs/B.txt", "B.txt", "r3", 7, "h3", modified, "device-a"), tree["/docs/b.txt"]);
        Assert.Equal("r2", reopened.Get("/docs/b.txt")!.Rev);
    }

    [Fact]
    public void An_index_with_the_old_json_tree_forgets_it_and_its_cursor()
    {
        var dir = Path.Combine(_root, LocalIndex.StateFolder);
        Directory.CreateDirectory(dir);
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "index.db"), Pooling = false }.ToString()))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT NOT NULL);
                CREATE TABLE remote(key TEXT PRIMARY KEY, entry TEXT NOT NULL);
                INSERT INTO remote VALUES('/a', '{"tag":"file","path":"/a","name":"a"}');
                INSERT INTO settings VALUES('remote_cursor', 'old-cursor');
                """;
            cmd.ExecuteNonQuery();
        }

        using var index = LocalIndex.Open(_root);
        Assert.Null(index.GetSetting(LocalIndex.RemoteCursorSetting));
        Assert.Empty(index.LoadRemote());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
