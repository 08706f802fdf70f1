using Microsoft.Data.Sqlite;

namespace DropSync.Client.Sync;

/// <summary>The index's copy of the server's tree and the cursor it is current to (kept by <see cref="CursorChangeSource"/>).</summary>
public sealed partial class LocalIndex
{
    /// <summary>The server's tree as of <see cref="RemoteCursorSetting"/> (kept by the cursor change source), by path key.</summary>
    public Dictionary<string, string> LoadRemote()
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT key, entry FROM remote";
            using var r = cmd.ExecuteReader();
            var all = new Dictionary<string, string>(StringComparer.Ordinal);
            while (r.Read())
            {
                all[r.GetString(0)] = r.GetString(1);
            }

            return all;
        }
    }

    public const string RemoteCursorSetting = "remote_cursor";

    /// <summary>
    /// Records changes to the server's tree and the cursor after them in one transaction, so the two never disagree.
    /// With <paramref name="replace"/> the stored tree is dropped first (after a full listing).
    /// </summary>
    public void SaveRemote(IEnumerable<KeyValuePair<string, string?>> changes, string cursor, bool replace)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            if (replace)
            {
                using var clear = _db.CreateCommand();
                clear.Transaction = tx;
                clear.CommandText = "DELETE FROM remote";
                clear.ExecuteNonQuery();
            }

            using (var put = _db.CreateCommand())
            using (var delete = _db.CreateCommand())
            {
                put.Transaction = tx;
                put.CommandText = "INSERT OR REPLACE INTO remote VALUES($k, $e)";
                var pk = put.Parameters.Add("$k", SqliteType.Text);
                var pe = put.Parameters.Add("$e", SqliteType.Text);
                delete.Transaction = tx;
                delete.CommandText = "DELETE FROM remote WHERE key = $k";
                var dk = delete.Parameters.Add("$k", SqliteType.Text);
                foreach (var (key, entry) in changes)
                {
                    if (entry is null)
                    {
                        dk.Value = key;
                        delete.ExecuteNonQuery();
                    }
                    else
                    {
                        pk.Value = key;
                        pe.Value = entry;
                        put.ExecuteNonQuery();
                    }
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
