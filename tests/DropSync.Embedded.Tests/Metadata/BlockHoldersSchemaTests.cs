using DropSync.Embedded.Metadata;
using Microsoft.Data.Sqlite;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>Block holders keyed by block first (schema step 10): each query still finds its rows by a key, and an upgrade keeps every holder.</summary>
public sealed class BlockHoldersSchemaTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task Upgrading_a_version_9_database_keys_holders_by_block_and_keeps_every_holder()
    {
        var (shared, own) = (Hash("shared"), Hash("own"));
        await using (var store = _database.Open())
        {
            await store.RecordAsync("u_a", shared, 10, At(0), None);
            await store.RecordAsync("u_b", shared, 10, At(0), None);
            await store.RecordAsync("u_a", own, 20, At(0), None);
        }

        // Back to version 9: holders keyed by user, with an index by block, as released builds left them.
        Execute("""
            CREATE TABLE holders_by_user (
                user_id TEXT NOT NULL,
                hash    BLOB NOT NULL REFERENCES blocks (hash) ON DELETE CASCADE,
                PRIMARY KEY (user_id, hash)
            ) STRICT, WITHOUT ROWID;
            INSERT INTO holders_by_user (user_id, hash) SELECT user_id, hash FROM block_holders;
            DROP TABLE block_holders;
            ALTER TABLE holders_by_user RENAME TO block_holders;
            CREATE INDEX block_holders_by_hash ON block_holders (hash);
            PRAGMA user_version = 9;
            """);
        Assert.Equal(["user_id", "hash"], Query("SELECT name FROM pragma_table_info('block_holders') WHERE pk > 0 ORDER BY pk;"));

        await using (var upgraded = _database.Open())
        {
            Assert.Equal(new Dictionary<Core.Content.BlockHash, int> { [shared] = 10, [own] = 20 }, await upgraded.FindHeldAsync("u_a", [shared, own], None));
            Assert.Equal(new Dictionary<Core.Content.BlockHash, int> { [shared] = 10 }, await upgraded.FindHeldAsync("u_b", [shared, own], None));

            // Forgetting a block takes its holders with it (nothing references it, recorded before now).
            Assert.True(await upgraded.TryForgetAsync(own, At(1), None));
            Assert.Empty(await upgraded.FindHeldAsync("u_a", [own], None));
        }

        Assert.Equal(["hash", "user_id"], Query("SELECT name FROM pragma_table_info('block_holders') WHERE pk > 0 ORDER BY pk;"));
        Assert.Empty(Query("SELECT name FROM sqlite_schema WHERE tbl_name = 'block_holders' AND type = 'index' AND sql IS NOT NULL;"));
        Assert.Equal(["2"], Query("SELECT COUNT(*) FROM block_holders;"));
    }

    [Fact]
    public void Every_query_of_block_holders_finds_its_rows_by_the_key_not_a_scan()
    {
        _database.Open().Dispose();

        var statements = ForgetStatements().Append(SqliteMetadataStore.HeldQuery(2)).ToList();
        foreach (var statement in statements)
        {
            var plan = Query("EXPLAIN QUERY PLAN " + statement, ("$hash", (object)Hash("x").ToBytes()), ("$user", "u_a"), ("$h0", Hash("a").ToBytes()), ("$h1", Hash("b").ToBytes()));
            Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
            if (statement.Contains("block_holders", StringComparison.Ordinal))
            {
                Assert.Contains(plan, step => step.Contains("PRIMARY KEY (hash=?", StringComparison.Ordinal));
            }
        }

        // Deleting a block cascades to its holders: the foreign key needs an index whose first column is the child key.
        Assert.Equal(["hash"], Query("SELECT name FROM pragma_index_info((SELECT name FROM pragma_index_list('block_holders') WHERE origin = 'pk')) WHERE seqno = 0;"));
    }

    public void Dispose() => _database.Dispose();

    private static IEnumerable<string> ForgetStatements() =>
        SqliteMetadataStore.ForgetBlockSql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(statement => statement + ";");

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private void Execute(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The last column of each row, as text (for EXPLAIN QUERY PLAN: each step's detail).</summary>
    private List<string> Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters.Where(parameter => sql.Contains(parameter.Name, StringComparison.Ordinal)))
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(Convert.ToString(reader.GetValue(reader.FieldCount - 1), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return rows;
    }
}
