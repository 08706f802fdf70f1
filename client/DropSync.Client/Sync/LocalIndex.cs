using System.Globalization;
using DropSync.Client.Transfer;
using DropSync.Core.Content;
using Microsoft.Data.Sqlite;

namespace DropSync.Client.Sync;

/// <summary>What the index remembers of one synced path: its state on disk and on the server when they last agreed.</summary>
public sealed record IndexEntry(string Key, string Path, bool IsDir, long Size, long Mtime, string? Rev, string? ContentHash, IReadOnlyList<BlockRef> Blocks);

/// <summary>
/// The local index: a SQLite database in the sync folder's <c>.dropsync/</c> state folder. It remembers each synced
/// file's size, mtime, blocks and rev (so unchanged files are never re-read), unfinished uploads, and settings.
/// </summary>
public sealed partial class LocalIndex : IDisposable
{
    public const string StateFolder = ".dropsync";

    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();
    private readonly List<Action<SqliteCommand>> _pending = [];

    // The files table in memory once read, kept current by Put and Remove: a watcher's passes read the index once, not
    // once per pass, and find a folder's entries by range. Read again when another connection wrote the database (a
    // `dropsync sync` beside a watcher): SQLite's data_version changes only then.
    private Dictionary<string, IndexEntry>? _files;
    private SortedSet<string>? _fileKeys;
    private int _fileCount;
    private long _filesVersion;

    // Open Batch scopes: while any is open, queued writes are kept for one transaction at its end.
    private int _batchDepth;

    private LocalIndex(SqliteConnection db, PlacedFiles placed)
    {
        _db = db;
        PlacedFiles = placed;
    }

    /// <summary>Downloads put in place and not yet durable: each commit makes them durable before recording them.</summary>
    internal PlacedFiles PlacedFiles { get; }

    public static LocalIndex Open(string root)
    {
        var dir = Path.Combine(root, StateFolder);
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(Path.Combine(dir, "tmp"));
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "index.db"), Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS files(key TEXT PRIMARY KEY, path TEXT NOT NULL, is_dir INTEGER NOT NULL, size INTEGER NOT NULL,
                mtime INTEGER NOT NULL, rev TEXT, content_hash TEXT, blocks TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS uploads(key TEXT PRIMARY KEY, upload_id TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
                blocks TEXT NOT NULL, expires INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS settings(k TEXT PRIMARY KEY, v TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS local_only(key TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL);
            """;
        cmd.ExecuteNonQuery();
        var index = new LocalIndex(db, new PlacedFiles(root));
        index.CreateRemoteTable();
        index.CreateKnownBlocksTable();
        return index;
    }

    /// <summary>The index database's file: tells two indexes apart.</summary>
    public string Location => _db.DataSource;

    public string TempFolder => Path.Combine(Path.GetDirectoryName(_db.DataSource)!, "tmp");

    /// <summary>Every entry, as a copy the caller may change.</summary>
    public Dictionary<string, IndexEntry> LoadAll()
    {
        lock (_lock)
        {
            return new Dictionary<string, IndexEntry>(Files(), StringComparer.Ordinal);
        }
    }

    /// <summary>How many files (not folders) the index holds (kept as entries come and go: a watcher's pass asks for it).</summary>
    public int FileCount()
    {
        lock (_lock)
        {
            Files();
            return _fileCount;
        }
    }

    /// <summary>The entries of <paramref name="keys"/> the index has, as a copy the caller may change (an incremental pass's part of the index).</summary>
    public Dictionary<string, IndexEntry> Load(IEnumerable<string> keys)
    {
        lock (_lock)
        {
            var files = Files();
            var some = new Dictionary<string, IndexEntry>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (files.TryGetValue(key, out var e))
                {
                    some[key] = e;
                }
            }

            return some;
        }
    }

    /// <summary>One entry, or null.</summary>
    public IndexEntry? Get(string key)
    {
        lock (_lock)
        {
            return Files().GetValueOrDefault(key);
        }
    }

    /// <summary>The keys of the entries strictly below <paramref name="key"/>, in order.</summary>
    public List<string> KeysBelow(string key)
    {
        lock (_lock)
        {
            return RemoteTree.KeysBelow(FileKeys(), key);
        }
    }

    /// <summary>
    /// Orders the keys now, so that the next incremental pass finds ranges at once. A watcher calls it after a full
    /// pass: sorting 100,000 keys takes ~80 ms, which the first save after start-up otherwise waited on.
    /// </summary>
    public void PrepareKeyRanges()
    {
        lock (_lock)
        {
            FileKeys();
        }
    }

    // Sorted on first use: only a watcher's incremental passes look up ranges.
    private SortedSet<string> FileKeys()
    {
        Files();
        return _fileKeys ??= new SortedSet<string>(_files!.Keys, StringComparer.Ordinal);
    }

    private Dictionary<string, IndexEntry> Files()
    {
        using (var version = _db.CreateCommand())
        {
            version.CommandText = "PRAGMA data_version";
            var current = (long)version.ExecuteScalar()!;
            if (_files is not null && current == _filesVersion)
            {
                return _files;
            }

            _filesVersion = current;
        }

        FlushLocked();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT key, path, is_dir, size, mtime, rev, content_hash, blocks FROM files";
        using var r = cmd.ExecuteReader();
        var all = new Dictionary<string, IndexEntry>(StringComparer.Ordinal);
        while (r.Read())
        {
            // A key is its path folded; for a path already in lower case, one string serves as both.
            var key = r.GetString(0);
            var path = r.GetString(1);
            key = key == path ? path : key;
            all[key] = new IndexEntry(key, path, r.GetInt64(2) != 0, r.GetInt64(3), r.GetInt64(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), new EncodedBlocks(r.GetString(7)));
        }

        _fileKeys = null;
        _fileCount = all.Values.Count(e => !e.IsDir);
        return _files = all;
    }

    public void Put(IndexEntry e) => Enqueue(cmd => PutCommand(cmd, e), () =>
    {
        if (_files is not null)
        {
            if (_files.TryGetValue(e.Key, out var old) && !old.IsDir)
            {
                _fileCount--;
            }

            _files[e.Key] = e;
            _fileKeys?.Add(e.Key);
            _fileCount += e.IsDir ? 0 : 1;
        }
    });

    private static void PutCommand(SqliteCommand cmd, IndexEntry e)
    {
        cmd.CommandText = "INSERT OR REPLACE INTO files VALUES($k, $p, $d, $s, $m, $r, $h, $b)";
        cmd.Parameters.AddWithValue("$k", e.Key);
        cmd.Parameters.AddWithValue("$p", e.Path);
        cmd.Parameters.AddWithValue("$d", e.IsDir ? 1 : 0);
        cmd.Parameters.AddWithValue("$s", e.Size);
        cmd.Parameters.AddWithValue("$m", e.Mtime);
        cmd.Parameters.AddWithValue("$r", (object?)e.Rev ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$h", (object?)e.ContentHash ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$b", EncodeBlocks(e.Blocks));
    }

    public void Remove(string key) => Enqueue(cmd => RemoveCommand(cmd, key), () =>
    {
        _queuedKnownBlocks[key] = null;
        if (_files is not null && _files.Remove(key, out var old))
        {
            _fileKeys?.Remove(key);
            _fileCount -= old.IsDir ? 0 : 1;
        }
    });

    private static void RemoveCommand(SqliteCommand cmd, string key)
    {
        cmd.CommandText = "DELETE FROM files WHERE key = $k; DELETE FROM known_blocks WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
    }

    /// <summary>
    /// Local files (and folders) the server refused because they are read-only for this user, each as it was when refused
    /// (a folder as size 0, mtime 0): not sent again until it changes.
    /// </summary>
    public Dictionary<string, (long Size, long Mtime)> LoadLocalOnly()
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT key, size, mtime FROM local_only";
            using var r = cmd.ExecuteReader();
            var all = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
            while (r.Read())
            {
                all[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2));
            }

            return all;
        }
    }

    public void PutLocalOnly(string key, long size, long mtime) => Enqueue(cmd =>
    {
        cmd.CommandText = "INSERT OR REPLACE INTO local_only VALUES($k, $s, $m)";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$s", size);
        cmd.Parameters.AddWithValue("$m", mtime);
    });

    public void RemoveLocalOnly(string key) => Enqueue(cmd =>
    {
        cmd.CommandText = "DELETE FROM local_only WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
    });

    /// <param name="cached">Applies the change to the entries in memory, under the same lock, so the two never disagree.</param>
    private void Enqueue(Action<SqliteCommand> write, Action? cached = null)
    {
        lock (_lock)
        {
            cached?.Invoke();
            _pending.Add(write);
            if (_pending.Count >= 500 && _batchDepth == 0)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>
    /// Keeps the writes queued until the returned scope ends, then commits them in one transaction: a folder move's
    /// index update (a remove and a put per file) lands whole, in one commit.
    /// </summary>
    public IDisposable Batch()
    {
        lock (_lock)
        {
            _batchDepth++;
        }

        return new BatchScope(this);
    }

    private sealed class BatchScope(LocalIndex index) : IDisposable
    {
        private bool _ended;

        public void Dispose()
        {
            lock (index._lock)
            {
                if (_ended)
                {
                    return;
                }

                _ended = true;
                if (--index._batchDepth == 0)
                {
                    index.FlushLocked();
                }
            }
        }
    }

    /// <summary>Writes queued changes in one transaction. Queued rather than written one by one so 10,000 small files cost a few commits.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        PlacedFiles.MakeDurable();

        // One command per distinct statement, re-bound for each write, so SQLite prepares each statement once a flush
        // rather than once a write (a folder move queues a remove and a put per file).
        using var tx = _db.BeginTransaction();
        using var scratch = _db.CreateCommand();
        var commands = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
        try
        {
            foreach (var write in _pending)
            {
                scratch.Parameters.Clear();
                write(scratch);
                if (!commands.TryGetValue(scratch.CommandText, out var cmd))
                {
                    cmd = _db.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = scratch.CommandText;
                    commands.Add(cmd.CommandText, cmd);
                    foreach (SqliteParameter parameter in scratch.Parameters)
                    {
                        cmd.Parameters.Add(new SqliteParameter(parameter.ParameterName, parameter.Value));
                    }
                }
                else
                {
                    // The same statement names the same parameters in the same order: only their values change.
                    for (var i = 0; i < scratch.Parameters.Count; i++)
                    {
                        cmd.Parameters[i].Value = scratch.Parameters[i].Value;
                    }
                }

                cmd.ExecuteNonQuery();
            }
        }
        finally
        {
            foreach (var cmd in commands.Values)
            {
                cmd.Dispose();
            }
        }

        tx.Commit();
        _pending.Clear();
        _queuedKnownBlocks.Clear();
    }

    private void Execute(Action<SqliteCommand> write)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            write(cmd);
            cmd.ExecuteNonQuery();
        }
    }

    internal static string EncodeBlocks(IReadOnlyList<BlockRef> blocks) =>
        blocks is EncodedBlocks encoded ? encoded.Text : string.Join(';', blocks.Select(b => b.Hash.Hex + ":" + b.Size.ToString(CultureInfo.InvariantCulture)));

    internal static IReadOnlyList<BlockRef> DecodeBlocks(string text) =>
        text.Length == 0
            ? []
            : text.Split(';').Select(p =>
            {
                var colon = p.IndexOf(':', StringComparison.Ordinal);
                return new BlockRef(BlockHash.Parse(p[..colon]), int.Parse(p[(colon + 1)..], CultureInfo.InvariantCulture));
            }).ToList();

    public void Dispose()
    {
        Flush();
        _db.Dispose();
    }
}
