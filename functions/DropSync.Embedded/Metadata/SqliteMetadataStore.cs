using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// The embedded metadata store: files, accounts, the block index, upload sessions, sharing and notifications in one SQLite database.
/// Writes are serialised in this process and each runs in one <c>BEGIN IMMEDIATE</c> transaction on a dedicated
/// connection; reads use pooled connections and a snapshot transaction each, so they never wait for a write and never
/// see part of one.
/// </summary>
public sealed partial class SqliteMetadataStore : IFileMetadataStore, IAccountStore, IBlockIndex, IUploadSessionStore, ISharingStore, INotificationStore, IDisposable, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _disposed;

    /// <summary>Opens (creating if needed) the database at <paramref name="databasePath"/> and brings its schema up to date.</summary>
    public SqliteMetadataStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = MetadataConnections.ConnectionString(databasePath);
        _writer = MetadataConnections.OpenWriter(_connectionString);
        try
        {
            MetadataSchema.Migrate(_writer);
        }
        catch
        {
            _writer.Dispose();
            _writeGate.Dispose();
            ClearPool();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(async (transaction, ct) => (await work(transaction, ct), true), cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a write transaction; commits it only if the work says so, else rolls it back.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // deferred: false is BEGIN IMMEDIATE: the write lock is taken up front, so a batch never fails half-way on it.
            await using var transaction = _writer.BeginTransaction(deferred: false);
            var (result, commit) = await work(transaction, cancellationToken);
            if (commit)
            {
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await transaction.RollbackAsync(cancellationToken);
            }

            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on its own pooled connection, in one read snapshot.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await using var connection = await MetadataConnections.OpenReaderAsync(_connectionString, cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: true);
        var result = await work(transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public void Dispose()
    {
        _writeGate.Wait();
        try
        {
            Close();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            Close();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    // The gate is not disposed: a call racing with disposal still finds it and gets ObjectDisposedException.
    private void Close()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _writer.Dispose();
        ClearPool();
    }

    // Pooled connections would otherwise keep the file open after the store is gone.
    private void ClearPool()
    {
        using var poolKey = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(poolKey);
    }
}
