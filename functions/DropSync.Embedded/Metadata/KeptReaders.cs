using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// The readers' connections, kept open by the store and lent to one read at a time, each with its statements kept
/// prepared. Microsoft.Data.Sqlite prepares (parses) a command's SQL again for every new command, and its pool closes
/// every command when a pooled connection goes back; a small commit's read parsed its query each time (round 8's
/// profile). A kept connection is never pooled by Microsoft.Data.Sqlite (<c>Pooling=False</c>), so closing it really
/// closes it, rolling back anything a failed read left open.
/// </summary>
internal sealed class KeptReaders(string connectionString) : IDisposable
{
    /// <summary>Connections kept for later reads; more can be open during a burst, and are closed when they come back.</summary>
    internal static readonly int MaxKept = Math.Max(8, 2 * Environment.ProcessorCount);

    private readonly Stack<KeptReaderConnection> _idle = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    public async Task<KeptReaderConnection> RentAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out var idle))
            {
                return idle;
            }
        }

        return await KeptReaderConnection.OpenAsync(connectionString, cancellationToken);
    }

    /// <summary>Takes a connection back: kept if its read ended cleanly and there is room, closed otherwise.</summary>
    public void Return(KeptReaderConnection connection, bool readEndedCleanly)
    {
        if (readEndedCleanly && !connection.InTransaction)
        {
            lock (_lock)
            {
                if (!_disposed && _idle.Count < MaxKept)
                {
                    _idle.Push(connection);
                    return;
                }
            }
        }

        connection.Dispose();
    }

    public void Dispose()
    {
        KeptReaderConnection[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var connection in idle)
        {
            connection.Dispose();
        }
    }
}

/// <summary>A reader connection that keeps one prepared command per SQL text (at most <see cref="MaxStatements"/>).</summary>
internal sealed class KeptReaderConnection : SqliteConnection
{
    /// <summary>Statements kept per connection: the store's reads have a few dozen fixed texts; texts built per call
    /// (an IN list of N keys) beyond this are prepared and disposed as before.</summary>
    internal const int MaxStatements = 128;

    private readonly Dictionary<string, KeptCommand> _statements = new(StringComparer.Ordinal);

    private KeptReaderConnection(string connectionString)
        : base(connectionString)
    {
    }

    /// <summary>Whether a transaction Microsoft.Data.Sqlite knows of is still open (a read that did not end cleanly).</summary>
    public bool InTransaction => Transaction is not null;

    public static async Task<KeptReaderConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new KeptReaderConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var result = raw.sqlite3_busy_timeout(connection.Handle, MetadataConnections.BusyTimeoutMilliseconds);
            if (result != raw.SQLITE_OK)
            {
                throw new SqliteException($"Could not set the busy timeout of a metadata connection (SQLite error {result}).", result);
            }

            connection.ExecuteNonQuery($"PRAGMA mmap_size = {MetadataConnections.ReaderMapBytes};");

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The command for <paramref name="sql"/> in <paramref name="transaction"/> (null: a statement on its own, in
    /// SQLite's autocommit mode), prepared the first time and kept; its <c>Dispose</c> only ends its reader, so callers
    /// use it as any other command.
    /// </summary>
    public SqliteCommand Command(SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        if (_statements.TryGetValue(sql, out var command) && command.InUse)
        {
            // The same text again while its first use still reads (a nested query): a command of its own.
            return SqliteCommandExtensions.NewCommand(this, transaction, sql, parameters);
        }

        if (command is null)
        {
            if (_statements.Count >= MaxStatements)
            {
                return SqliteCommandExtensions.NewCommand(this, transaction, sql, parameters);
            }

            command = new KeptCommand { Connection = this, CommandText = sql };
            _statements.Add(sql, command);
        }

        command.Transaction = transaction;
        command.Bind(parameters);
        return command;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Statements first: a connection closed with statements left open lingers until they are finalised.
            foreach (var command in _statements.Values)
            {
                command.Release();
            }

            _statements.Clear();
        }

        base.Dispose(disposing);
    }

    /// <summary>A command whose prepared statements outlive each use; only its connection releases it.</summary>
    private sealed class KeptCommand : SqliteCommand
    {
        private bool _released;

        public bool InUse => DataReader is not null;

        /// <summary>Binds values by position when the names are those of the last use (the usual case), else anew.</summary>
        public void Bind((string Name, object? Value)[] parameters)
        {
            var bound = Parameters;
            var sameNames = bound.Count == parameters.Length;
            for (var i = 0; sameNames && i < parameters.Length; i++)
            {
                sameNames = string.Equals(bound[i].ParameterName, parameters[i].Name, StringComparison.Ordinal);
            }

            if (!sameNames)
            {
                bound.Clear();
                foreach (var (name, _) in parameters)
                {
                    bound.Add(new SqliteParameter { ParameterName = name });
                }
            }

            for (var i = 0; i < parameters.Length; i++)
            {
                bound[i].Value = parameters[i].Value ?? DBNull.Value;
            }
        }

        public void Release()
        {
            _released = true;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (_released || !disposing)
            {
                base.Dispose(disposing);
                return;
            }

            // A use ends: close its reader (which resets the statement, ending its part of the read snapshot) and
            // let go of the transaction and the values bound (large blobs, keys), keeping the prepared statement.
            DataReader?.Dispose();
            DataReader = null;
            Transaction = null;
            foreach (SqliteParameter parameter in Parameters)
            {
                parameter.Value = DBNull.Value;
            }
        }
    }
}
