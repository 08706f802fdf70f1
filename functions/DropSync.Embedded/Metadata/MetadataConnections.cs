using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Opens connections to the metadata database with the settings every connection needs.</summary>
internal static class MetadataConnections
{
    /// <summary>How long a statement waits for another process's lock before failing with SQLITE_BUSY.</summary>
    internal const int BusyTimeoutMilliseconds = 10_000;

    /// <summary>The writer's connection string: foreign keys enforced.</summary>
    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        ForeignKeys = true,
    }.ToString();

    /// <summary>
    /// The writer's page cache kept between transactions, in KiB (SQLite's default is 2,000). 2 MiB until round 18: with
    /// 100,000 files in one namespace each commit's B-tree pages mostly missed it and were read again (a pread and a copy
    /// each: a fifth of the server's CPU in that first upload, on the one writer thread). 16 MiB: the upload's server CPU
    /// 34–36 → 27–32 s, its time 29–32 → 23–28 s, the server's peak RSS +3–6 MiB (docs/performance/server-history.md).
    /// 64 MiB since round 19: the four B-trees keyed by block hash (random places: blocks, holders, inline blocks,
    /// revision blocks by hash) take ~25 MB at 100,000 files, and the writer still read a fifth of its pages back; the
    /// upload's server CPU 28–31 → 25 s, its time 25–28 → 23–24 s, peak RSS 179–189 → 228–234 MiB. The cache fills only
    /// as the database grows: a small one (issue 12's transfer) never reaches it.
    /// </summary>
    internal const int WriterCacheKibibytes = 64 * 1024;

    /// <summary>
    /// How large one transaction's pages may grow before dirty ones spill to the WAL mid-transaction, in KiB. SQLite
    /// spills past the larger of this and the cache size, so it is no less than <see cref="WriterCacheKibibytes"/>.
    /// </summary>
    internal const int WriterSpillKibibytes = WriterCacheKibibytes;

    /// <summary>
    /// How much of the database file a reader maps into memory (<c>PRAGMA mmap_size</c>; SQLite's own ceiling, 0x7fff0000),
    /// so its reads of the database file are loads from the OS page cache, not a <c>pread</c> and a copy into its own page
    /// cache each. A listing reads entries by key from a table kept in the order they were added, about one page per
    /// entry: a server's listing of 100,000 entries 0.88–0.92 → 0.58–0.64 s (round 19). Pages still in the WAL are read
    /// as before. The writer does not map: for commits it saved no CPU (round 18). The mapped pages the process touched
    /// count in its RSS as file-backed memory (the page cache's, shared, not the heap's). Per
    /// https://www.sqlite.org/mmap.html, an I/O error on a mapped page is a SIGBUS rather than an error code: the process
    /// stops, as on any failed disk, and what was committed stays in the database and its WAL.
    /// </summary>
    internal const long ReaderMapBytes = 0x7fff0000;

    /// <summary>
    /// The readers' connection string. Without <c>ForeignKeys</c>: readers never write, and with it Microsoft.Data.Sqlite
    /// runs <c>PRAGMA foreign_keys</c> on every open. Not pooled by Microsoft.Data.Sqlite: the store keeps its readers
    /// open itself, with their statements prepared (<see cref="KeptReaders"/>).
    /// </summary>
    public static string ReaderConnectionString(string databasePath)
    {
        // The writer's string less what readers must not have: one place says where and how the database opens.
        var reader = new SqliteConnectionStringBuilder(ConnectionString(databasePath)) { Pooling = false };
        reader.Remove("Foreign Keys");
        return reader.ToString();
    }

    /// <summary>The size a WAL file is cut back to when it starts over (64 MiB: well above a normal cycle's 8–32 MiB).</summary>
    private const long WalSizeLimitBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The one connection that writes. WAL lets readers go on while it writes; synchronous=FULL makes each commit durable
    /// before it returns, so a crash keeps a whole batch or none of it.
    /// </summary>
    public static SqliteConnection OpenWriter(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            // Before the open: a connection keeps the VFS it opened with. The writer's thread turns the buffering on.
            WalWriteBuffer.Register();
            connection.Open();
            var journalMode = Convert.ToString(connection.ExecuteScalar("PRAGMA journal_mode = WAL;"), System.Globalization.CultureInfo.InvariantCulture);
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The metadata database {connection.DataSource} could not switch to WAL mode (it is in {journalMode} mode); keep it on a local file system.");
            }

            // temp_store stays the default (file), and so does SQLite's statement-journal spill size (64 KiB): raising it
            // with sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL) made a 5,001-entry move fail with SQLITE_FULL (at 256 KiB
            // and above, reproduced outside DropSync), so savepoint journals are kept small instead (GroupCommitWriter).
            // MEMORY kept each group write's savepoint journal off a temp file
            // (about 425 → 148 writer pwrites per group), but quiet alternating runs showed no commits/s or CPU gain,
            // and it made the server's move of a 5,001-entry folder ~170 ms slower (541 → 706 ms), so it was taken out.
            connection.ExecuteNonQuery($"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");

            // A batch upload's group write (500 files: ~2.5 MB of inline blocks and their index pages) outgrew the default
            // 2 MB page cache, which then spilled dirty pages to the WAL mid-transaction and wrote them again at commit.
            // cache_spill lets a transaction's dirty pages grow to its budget before any spill, while cache_size bounds what
            // the cache keeps once they are clean (https://sqlite.org/pragma.html#pragma_cache_spill). The writer touches
            // every page of the block index, so between transactions it keeps as much of the database as fits: with an
            // 8 MiB cache SQLite's caches grew 0.4 → 5.7 MB over a 10 GiB transfer (docs/performance/server-history.md,
            // "Round 8: server memory in the last two steps at 10 GiB"); the 16 MiB of round 18 bound it at 16.
            // "cache_spill = N" also reads N as an on/off flag truncated to a byte, so 2,048 pages switched spilling off
            // altogether (no bound on a transaction's memory); the "= ON" after it switches it back on, keeping N.
            var pageSize = Convert.ToInt64(connection.ExecuteScalar("PRAGMA page_size;"), System.Globalization.CultureInfo.InvariantCulture);
            connection.ExecuteNonQuery(
                $"PRAGMA cache_size = -{WriterCacheKibibytes}; PRAGMA cache_spill = {WriterSpillKibibytes * 1024L / pageSize}; PRAGMA cache_spill = ON;");

            // Checkpoints run off the commit path (WalCheckpointer), and the WAL starts over from its beginning after each
            // one that reached its end; this shrinks the file back when it starts over after a transaction grew it past this.
            connection.ExecuteNonQuery($"PRAGMA journal_size_limit = {WalSizeLimitBytes};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static object? ExecuteScalar(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static void ExecuteNonQuery(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
