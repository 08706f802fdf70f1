using DropSync.Client.Api;
using Microsoft.Data.Sqlite;

namespace DropSync.Client.Sync;

/// <summary>The index's copy of the server's tree and the cursor it is current to (kept by <see cref="CursorChangeSource"/>).</summary>
public sealed partial class LocalIndex
{
    public const string RemoteCursorSetting = "remote_cursor";

    // One column per field (not a JSON document per row): an idle `dropsync sync` reads the whole tree, and reading
    // columns is several times faster than parsing 10,000 JSON documents. server_modified is UTC ticks.
    private const string RemoteColumns = "key, tag, path, name, rev, size, content_hash, server_modified, device_id";

    /// <summary>
    /// Creates the stored tree's table. An index from before it (a <c>remote</c> table of JSON rows) loses its stored tree
    /// and cursor: the next sync lists the server afresh, which is always safe.
    /// </summary>
    private void CreateRemoteTable()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE IF NOT EXISTS remote_entries(key TEXT PRIMARY KEY, tag TEXT NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL,
                rev TEXT, size INTEGER, content_hash TEXT, server_modified INTEGER, device_id TEXT);
            """;
        cmd.ExecuteNonQuery();
        cmd.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'remote'";
        if (cmd.ExecuteScalar() is not null)
        {
            cmd.CommandText = $"DROP TABLE remote; DELETE FROM settings WHERE k = '{RemoteCursorSetting}'";
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The server's tree as of <see cref="RemoteCursorSetting"/> (kept by the cursor change source), by path key.</summary>
    public RemoteTree LoadRemote()
    {
        lock (_lock)
        {
            // A synced file's key, path, rev and hash are the index's too: the entry takes the index's strings, so a
            // 100,000-file tree keeps one copy of each instead of two (the copies read here die young).
            var files = Files();
            var devices = new Dictionary<string, string>(StringComparer.Ordinal);
            using var cmd = _db.CreateCommand();
            cmd.CommandText = $"SELECT {RemoteColumns} FROM remote_entries";
            using var r = cmd.ExecuteReader();
            var all = new Dictionary<string, RemoteEntry>(StringComparer.Ordinal);
            while (r.Read())
            {
                var key = r.GetString(0);
                var indexed = files.GetValueOrDefault(key);
                var path = r.GetString(2);
                var rev = r.IsDBNull(4) ? null : r.GetString(4);
                var hash = r.IsDBNull(6) ? null : r.GetString(6);
                var device = r.IsDBNull(8) ? null : r.GetString(8);
                if (indexed is not null)
                {
                    key = indexed.Key;
                    path = path == indexed.Path ? indexed.Path : path;
                    rev = rev == indexed.Rev ? indexed.Rev : rev;
                    hash = hash == indexed.ContentHash ? indexed.ContentHash : hash;
                }
                else if (key == path)
                {
                    key = path;
                }

                if (device is not null)
                {
                    device = devices.TryGetValue(device, out var known) ? known : devices[device] = device;
                }

                all.Add(key, new RemoteEntry(
                    Tag(r.GetString(1)), path, r.GetString(3), rev, r.IsDBNull(5) ? null : r.GetInt64(5),
                    hash, r.IsDBNull(7) ? null : new DateTimeOffset(r.GetInt64(7), TimeSpan.Zero), device));
            }

            return RemoteTree.Wrap(all);
        }
    }

    private static string Tag(string tag) => tag switch { "file" => "file", "folder" => "folder", _ => tag };

    /// <summary>
    /// Records changes to the server's tree (null = deleted) and the cursor after them in one transaction, so the two
    /// never disagree. With <paramref name="replace"/> the stored tree is dropped first (after a full listing).
    /// </summary>
    public void SaveRemote(IEnumerable<KeyValuePair<string, RemoteEntry?>> changes, string cursor, bool replace)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            if (replace)
            {
                using var clear = _db.CreateCommand();
                clear.Transaction = tx;
                clear.CommandText = "DELETE FROM remote_entries";
                clear.ExecuteNonQuery();
            }

            using (var put = _db.CreateCommand())
            using (var delete = _db.CreateCommand())
            {
                put.Transaction = tx;
                put.CommandText = $"INSERT OR REPLACE INTO remote_entries({RemoteColumns}) VALUES($k, $tag, $path, $name, $rev, $size, $hash, $modified, $device)";
                var pk = put.Parameters.Add("$k", SqliteType.Text);
                var tag = put.Parameters.Add("$tag", SqliteType.Text);
                var path = put.Parameters.Add("$path", SqliteType.Text);
                var name = put.Parameters.Add("$name", SqliteType.Text);
                var rev = put.Parameters.Add("$rev", SqliteType.Text);
                var size = put.Parameters.Add("$size", SqliteType.Integer);
                var hash = put.Parameters.Add("$hash", SqliteType.Text);
                var modified = put.Parameters.Add("$modified", SqliteType.Integer);
                var device = put.Parameters.Add("$device", SqliteType.Text);
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM remote_entries WHERE key = $k";
                var dk = delete.Parameters.Add("$k", SqliteType.Text);
                foreach (var (key, entry) in changes)
                {
                    if (entry is null)
                    {
                        dk.Value = key;
                        delete.ExecuteNonQuery();
                        continue;
                    }

                    pk.Value = key;
                    tag.Value = entry.Tag;
                    path.Value = entry.Path;
                    name.Value = entry.Name;
                    rev.Value = (object?)entry.Rev ?? DBNull.Value;
                    size.Value = (object?)entry.Size ?? DBNull.Value;
                    hash.Value = (object?)entry.ContentHash ?? DBNull.Value;
                    modified.Value = (object?)entry.ServerModified?.UtcTicks ?? DBNull.Value;
                    device.Value = (object?)entry.DeviceId ?? DBNull.Value;
                    put.ExecuteNonQuery();
                }
            }

            using var setting = _db.CreateCommand();
            setting.Transaction = tx;
            setting.CommandText = "INSERT OR REPLACE INTO settings VALUES($k, $v)";
            setting.Parameters.AddWithValue("$k", RemoteCursorSetting);
            setting.Parameters.AddWithValue("$v", cursor);
            setting.ExecuteNonQuery();
            tx.Commit();
        }
    }
}
