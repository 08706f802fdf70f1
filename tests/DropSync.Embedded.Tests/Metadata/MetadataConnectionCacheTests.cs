using System.Globalization;
using DropSync.Embedded.Metadata;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// The metadata writer's page cache is bounded (issue 12, memory): it keeps <see cref="MetadataConnections.WriterCacheKibibytes"/>
/// between transactions, while one transaction may grow to <see cref="MetadataConnections.WriterSpillKibibytes"/> before
/// spilling to the WAL (and spilling stays on: a transaction's memory stays bounded).
/// </summary>
public sealed class MetadataConnectionCacheTests : IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public void The_writer_keeps_a_small_cache_but_spills_only_past_a_transaction_budget()
    {
        _database.Open();
        using var writer = MetadataConnections.OpenWriter(MetadataConnections.ConnectionString(_database.DatabasePath));
        var pageSize = Number(writer.ExecuteScalar("PRAGMA page_size;"));

        Assert.Equal(-MetadataConnections.WriterCacheKibibytes, Number(writer.ExecuteScalar("PRAGMA cache_size;")));
        Assert.Equal(MetadataConnections.WriterSpillKibibytes * 1024L / pageSize, Number(writer.ExecuteScalar("PRAGMA cache_spill;")));
    }

    [Fact]
    public void Readers_open_the_writers_database_the_same_way_unpooled_and_without_the_foreign_key_pragma()
    {
        var writer = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(MetadataConnections.ConnectionString(_database.DatabasePath));
        var reader = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(MetadataConnections.ReaderConnectionString(_database.DatabasePath));

        Assert.Equal(writer.DataSource, reader.DataSource);
        Assert.Equal(writer.Mode, reader.Mode);
        Assert.True(writer.Pooling);
        Assert.True(writer.ForeignKeys);
        Assert.False(reader.Pooling);
        Assert.Null(reader.ForeignKeys);
    }

    [Fact]
    public async Task Readers_map_the_database_file_and_the_writer_does_not()
    {
        _database.Open().Dispose();
        await using var reader = await KeptReaderConnection.OpenAsync(MetadataConnections.ReaderConnectionString(_database.DatabasePath), CancellationToken.None);
        using var writer = MetadataConnections.OpenWriter(MetadataConnections.ConnectionString(_database.DatabasePath));

        Assert.Equal(MetadataConnections.ReaderMapBytes, Number(reader.ExecuteScalar("PRAGMA mmap_size;")));
        Assert.Equal(0, Number(writer.ExecuteScalar("PRAGMA mmap_size;")));
    }

    public void Dispose() => _database.Dispose();

    private static long Number(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
