using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>An unfinished resumable upload: resumed on the next run if the file is unchanged.</summary>
public sealed record PendingUpload(string Key, string UploadId, long Size, long Mtime, IReadOnlyList<BlockRef> Blocks, DateTimeOffset ExpiresAt);

/// <summary>What the index keeps beside the files: unfinished uploads (written at once, not queued) and settings.</summary>
public sealed partial class LocalIndex
{
    public PendingUpload? GetUpload(string key)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT upload_id, size, mtime, blocks, expires FROM uploads WHERE key = $k";
            cmd.Parameters.AddWithValue("$k", key);
            using var r = cmd.ExecuteReader();
            return r.Read()
                ? new PendingUpload(key, r.GetString(0), r.GetInt64(1), r.GetInt64(2), DecodeBlocks(r.GetString(3)), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)))
                : null;
        }
    }

    /// <summary>Written at once (not queued): a killed client must find it on the next run.</summary>
    public void PutUpload(PendingUpload u) => Execute(cmd =>
    {
        cmd.CommandText = "INSERT OR REPLACE INTO uploads VALUES($k, $u, $s, $m, $b, $e)";
        cmd.Parameters.AddWithValue("$k", u.Key);
        cmd.Parameters.AddWithValue("$u", u.UploadId);
        cmd.Parameters.AddWithValue("$s", u.Size);
        cmd.Parameters.AddWithValue("$m", u.Mtime);
        cmd.Parameters.AddWithValue("$b", EncodeBlocks(u.Blocks));
        cmd.Parameters.AddWithValue("$e", u.ExpiresAt.ToUnixTimeSeconds());
    });

    public void RemoveUpload(string key) => Execute(cmd =>
    {
        cmd.CommandText = "DELETE FROM uploads WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
    });

    public string? GetSetting(string name)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT v FROM settings WHERE k = $k";
            cmd.Parameters.AddWithValue("$k", name);
            return cmd.ExecuteScalar() as string;
        }
    }

    public void SetSetting(string name, string value) => Execute(cmd =>
    {
        cmd.CommandText = "INSERT OR REPLACE INTO settings VALUES($k, $v)";
        cmd.Parameters.AddWithValue("$k", name);
        cmd.Parameters.AddWithValue("$v", value);
    });
}
