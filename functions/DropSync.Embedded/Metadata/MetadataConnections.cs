using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DropSync.Embedded.Metadata;

/// <summary>Opens connections to the metadata database with the settings every connection needs.</summary>
internal static class MetadataConnections
{
    /// <summary>How long a statement waits for another process's lock before failing with SQLITE_BUSY.</summary>
    private const int BusyTimeoutMilliseconds = 10_000;

    /// <summary>
    /// How large a statement (savepoint) journal may grow in memory before SQLite moves it to a temp file. Every group
    /// write runs in a SAVEPOINT, and SQLite copies each page the write changes into that journal. Its default, 64 KiB
    /// (SQLITE_STMTJRNL_SPILL), is about one small commit's pages, so most group writes spilled: a temp file per group
    /// and about 300 of its pwrites, 70 % of the writer's pwrites. 1 MiB keeps a small write's journal in one memory
    /// chunk; a large write (a 5,001-entry move, a big batch) still spills to the file past it, as before. temp_store =
    /// MEMORY was tried instead and made such large writes slower: its journal grows in 1 KiB chunks without bound.
    /// </summary>
    internal const int StatementJournalSpillBytes = 1 << 20;

    /// <summary>SQLITE_CONFIG_STMTJRNL_SPILL (sqlite3.h).</summary>
    private const int ConfigStatementJournalSpill = 26;

    private static readonly Lazy<bool> ProcessConfigured = new(ConfigureProcess);

    /// <summary>
    /// Whether this process's SQLite keeps statement journals up to <see cref="StatementJournalSpillBytes"/> in memory.
    /// sqlite3_config only works before SQLite initialises (its first connection); if something opened one earlier,
    /// SQLite answers SQLITE_MISUSE and keeps its default, which changes speed only, never what is durable.
    /// </summary>
    internal static bool StatementJournalInMemory => ProcessConfigured.Value;

    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        ForeignKeys = true,
    }.ToString();

    /// <summary>
    /// The one connection that writes. WAL lets readers go on while it writes; synchronous=FULL makes each commit durable
    /// before it returns, so a crash keeps a whole batch or none of it.
    /// </summary>
    public static SqliteConnection OpenWriter(string connectionString)
    {
        _ = ProcessConfigured.Value;
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var journalMode = Convert.ToString(connection.ExecuteScalar("PRAGMA journal_mode = WAL;"), System.Globalization.CultureInfo.InvariantCulture);
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The metadata database {connection.DataSource} could not switch to WAL mode (it is in {journalMode} mode); keep it on a local file system.");
            }

            // temp_store stays the default (file). MEMORY kept each group write's savepoint journal off a temp file
            // (about 425 → 148 writer pwrites per group), but quiet alternating runs showed no commits/s or CPU gain,
            // and it made the server's move of a 5,001-entry folder ~170 ms slower (541 → 706 ms), so it was taken out.
            connection.ExecuteNonQuery($"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static async Task<SqliteConnection> OpenReaderAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // The C call, not a PRAGMA: a read opens a pooled connection each time, and a PRAGMA is parsed each time.
            var result = raw.sqlite3_busy_timeout(connection.Handle, BusyTimeoutMilliseconds);
            if (result != raw.SQLITE_OK)
            {
                throw new SqliteException($"Could not set the busy timeout of a metadata connection (SQLite error {result}).", result);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static bool ConfigureProcess()
    {
        // Sets SQLitePCL's provider (Microsoft.Data.Sqlite does the same on first use; a second call is a no-op).
        Batteries_V2.Init();
        return raw.sqlite3_config(ConfigStatementJournalSpill, StatementJournalSpillBytes) == raw.SQLITE_OK;
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
