using DropSync.Embedded.Metadata;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// The WAL-buffering VFS: a buffering thread's WAL writes reach the file by the COMMIT's sync, so another connection
/// reads every committed row; a transaction rolled back after its pages spilled through the buffer leaves the next
/// commit whole; and the database checks out afterwards. Each writer runs on a thread of its own that turned
/// buffering on, as the group-commit writer does.
/// </summary>
public sealed class WalWriteBufferTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dropsync-walbuf-" + Guid.NewGuid().ToString("N"));

    public WalWriteBufferTests() => Directory.CreateDirectory(_folder);

    private string DatabasePath => Path.Combine(_folder, "buffered.db");

    [Fact]
    public void A_commit_larger_than_the_buffer_is_read_whole_by_another_connection_and_after_a_reopen()
    {
        var flushesBefore = WalWriteBuffer.Flushes;
        // 3,000 rows of 1 KiB: several MiB of pages, past the buffer (1 MiB) and the default page cache, so frames spill
        // mid-transaction and SQLite reads some of them back before the COMMIT.
        OnBufferingThread(connection =>
        {
            Execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);");
            using var transaction = connection.BeginTransaction();
            Insert(connection, transaction, first: 0, count: 3_000);
            transaction.Commit();

            // Small commits after it, each one group's worth of frames.
            for (var i = 0; i < 20; i++)
            {
                using var small = connection.BeginTransaction();
                Insert(connection, small, first: 3_000 + (i * 16), count: 16);
                small.Commit();
                Assert.Equal(3_000 + ((i + 1) * 16), CountFromAnotherConnection());
            }
        });

        Assert.True(WalWriteBuffer.Flushes > flushesBefore);
        Assert.Equal(3_320, CountFromAnotherConnection());
        AssertIntact(3_320);
    }

    [Fact]
    public void A_transaction_rolled_back_after_its_pages_spilled_leaves_the_next_commit_whole()
    {
        OnBufferingThread(connection =>
        {
            Execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);");
            using (var kept = connection.BeginTransaction())
            {
                Insert(connection, kept, first: 0, count: 100);
                kept.Commit();
            }

            using (var undone = connection.BeginTransaction())
            {
                Insert(connection, undone, first: 100, count: 4_000);
                undone.Rollback();
            }

            using var next = connection.BeginTransaction();
            Insert(connection, next, first: 10_000, count: 50);
            next.Commit();
        });

        Assert.Equal(150, CountFromAnotherConnection());
        AssertIntact(150);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void OnBufferingThread(Action<SqliteConnection> work)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                WalWriteBuffer.Register();
                WalWriteBuffer.BufferOnThisThread();
                using var connection = new SqliteConnection(ConnectionString(pooling: false));
                connection.Open();
                Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -512;");
                work(connection);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("the buffering thread failed", failure);
        }
    }

    private string ConnectionString(bool pooling) =>
        new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = pooling }.ToString();

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, int first, int count)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO t (id, body) VALUES ($id, $body);";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var body = command.Parameters.Add("$body", SqliteType.Blob);
        for (var i = first; i < first + count; i++)
        {
            id.Value = i;
            body.Value = Body(i);
            command.ExecuteNonQuery();
        }
    }

    private static byte[] Body(int id)
    {
        var bytes = new byte[1024];
        new Random(id).NextBytes(bytes);
        return bytes;
    }

    private int CountFromAnotherConnection()
    {
        using var reader = new SqliteConnection(ConnectionString(pooling: false));
        reader.Open();
        using var command = reader.CreateCommand();
        command.CommandText = "SELECT count(*) FROM t;";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reopened on a fresh connection: the database passes SQLite's integrity check and every row's bytes are what was written.</summary>
    private void AssertIntact(int rows)
    {
        using var connection = new SqliteConnection(ConnectionString(pooling: false));
        connection.Open();
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", check.ExecuteScalar());
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT id, body FROM t ORDER BY id;";
        using var result = read.ExecuteReader();
        var seen = 0;
        while (result.Read())
        {
            Assert.Equal(Body(result.GetInt32(0)), (byte[])result.GetValue(1));
            seen++;
        }

        Assert.Equal(rows, seen);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
