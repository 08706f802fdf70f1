using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Opens connections to the metadata database with the settings every connection needs.</summary>
internal static class MetadataConnections
{
    /// <summary>How long a statement waits for another process's lock before failing with SQLITE_BUSY.</summary>
    private const int BusyTimeoutMilliseconds = 10_000;

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

            // temp_store = MEMORY keeps each group write's savepoint journal in memory: with the default, SQLite spilled
            // it past 64 KiB to a temp file per group transaction, two pwrites per page (two thirds of the writer's
            // syscalls). That journal only rolls a savepoint back; crash recovery is the WAL's, so durability is unchanged.
            connection.ExecuteNonQuery($"PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");
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
            connection.ExecuteNonQuery($"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
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
