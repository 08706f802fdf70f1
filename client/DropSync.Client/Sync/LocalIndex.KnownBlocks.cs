using System.Globalization;
using System.Security.Cryptography;

namespace DropSync.Client.Sync;

/// <summary>
/// Each large file's blocks as this device last cut them, with their XXH128 digests (<see cref="Chunking.KnownBlocks"/>),
/// so the next scan of the file names its unchanged blocks without SHA-256. A table of its own, so an index written by
/// an older client gains it empty (its files are scanned in full once) and an older client reading this index ignores it.
/// A row is a fact about bytes (these bytes have this name), whatever the file holds now: a stale row costs a full
/// scan, never a wrong list.
/// </summary>
public sealed partial class LocalIndex
{
    private const string FastDigestSeedSetting = "fast_digest_seed";

    private long? _fastDigestSeed;

    /// <summary>Each key's known-blocks row as the queued writes leave it (null: deleted), until they are flushed.</summary>
    private readonly Dictionary<string, byte[]?> _queuedKnownBlocks = new(StringComparer.Ordinal);

    private void CreateKnownBlocksTable()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "CREATE TABLE IF NOT EXISTS known_blocks(key TEXT PRIMARY KEY, blocks BLOB NOT NULL)";
        cmd.ExecuteNonQuery();
    }

    /// <summary>The seed of this index's XXH128 digests: random, made once, so digests cannot be crafted without reading the index.</summary>
    /// <remarks>
    /// Read or made under one lock, and made by <c>INSERT OR IGNORE</c> then read back: transfers starting at once on a
    /// new index (or another connection to it) must all get the one stored seed. Each making its own, one file's digests
    /// were made with a seed the index then forgot, and its next re-scan named none of its known blocks (round 13).
    /// </remarks>
    public long FastDigestSeed()
    {
        lock (_lock)
        {
            if (_fastDigestSeed is not { } seed)
            {
                var read = GetSetting(FastDigestSeedSetting);
                if (ParseSeed(read) is not { } stored)
                {
                    // Not there: the first to insert wins. There but not a number (damaged): replaced.
                    using var cmd = _db.CreateCommand();
                    cmd.CommandText = read is null
                        ? "INSERT OR IGNORE INTO settings VALUES($k, $v)"
                        : "INSERT OR REPLACE INTO settings VALUES($k, $v)";
                    cmd.Parameters.AddWithValue("$k", FastDigestSeedSetting);
                    cmd.Parameters.AddWithValue("$v", BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)).ToString(CultureInfo.InvariantCulture));
                    cmd.ExecuteNonQuery();
                    stored = ParseSeed(GetSetting(FastDigestSeedSetting)) ?? throw new InvalidOperationException("The index's fast-digest seed is not a number.");
                }

                _fastDigestSeed = seed = stored;
            }

            return seed;
        }
    }

    private static long? ParseSeed(string? stored) => long.TryParse(stored, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>The stored form of the file's last scan (<see cref="Chunking.KnownBlocks.Encode"/>), or null.</summary>
    /// <remarks>A write still queued for the key (or the queued removal of its entry) answers first.</remarks>
    public byte[]? GetKnownBlocks(string key)
    {
        lock (_lock)
        {
            if (_queuedKnownBlocks.TryGetValue(key, out var queued))
            {
                return queued;
            }

            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT blocks FROM known_blocks WHERE key = $k";
            cmd.Parameters.AddWithValue("$k", key);
            return cmd.ExecuteScalar() as byte[];
        }
    }

    /// <summary>
    /// Queued, like the entry writes, so it lands after a <see cref="Remove"/> of the same key queued earlier in the pass
    /// (written at once, the row was deleted again when that removal was flushed).
    /// </summary>
    public void PutKnownBlocks(string key, byte[] blocks) => Enqueue(
        cmd =>
        {
            cmd.CommandText = "INSERT OR REPLACE INTO known_blocks VALUES($k, $b)";
            cmd.Parameters.AddWithValue("$k", key);
            cmd.Parameters.AddWithValue("$b", blocks);
        },
        () => _queuedKnownBlocks[key] = blocks);

    /// <summary>
    /// A moved or renamed file: its entry leaves <paramref name="fromKey"/> for <paramref name="to"/>, and its known
    /// blocks go with it (a row is a fact about bytes, true of the same bytes under another name). Read before the
    /// removal is queued, from the queue first, so a file moved twice in one pass (A→B→C) keeps them.
    /// </summary>
    public void MoveEntry(string fromKey, IndexEntry to)
    {
        ArgumentNullException.ThrowIfNull(to);
        lock (_lock)
        {
            var known = GetKnownBlocks(fromKey);
            Remove(fromKey);
            Put(to);
            if (known is not null)
            {
                PutKnownBlocks(to.Key, known);
            }
        }
    }

    public void RemoveKnownBlocks(string key) => Enqueue(
        cmd =>
        {
            cmd.CommandText = "DELETE FROM known_blocks WHERE key = $k";
            cmd.Parameters.AddWithValue("$k", key);
        },
        () => _queuedKnownBlocks[key] = null);
}
