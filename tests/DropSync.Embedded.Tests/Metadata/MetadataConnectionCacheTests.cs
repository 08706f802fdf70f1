using System.Globalization;
using DropSync.Embedded.Metadata;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// The metadata connections' page caches are bounded (issue 12, memory): a pooled reader keeps at most
/// <see cref="MetadataConnections.ReaderCacheKibibytes"/>, also when the pool hands it out again, and the writer keeps
/// <see cref="MetadataConnections.WriterCacheKibibytes"/> between transactions while one transaction may grow to
/// <see cref="MetadataConnections.WriterSpillKibibytes"/> before spilling to the WAL.
/// </summary>
public sealed class MetadataConnectionCacheTests : IDisposable
{
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task A_pooled_reader_keeps_its_capped_cache_when_it_is_handed_out_again()
    {
        _database.Open();
        var connectionString = MetadataConnections.ConnectionString(_database.DatabasePath);

        for (var open = 0; open < 3; open++)
        {
            await using var reader = await MetadataConnections.OpenReaderAsync(connectionString, CancellationToken.None);
            Assert.Equal(-MetadataConnections.ReaderCacheKibibytes, Number(reader.ExecuteScalar("PRAGMA cache_size;")));
        }
    }

    [Fact]
    public void The_writer_keeps_a_small_cache_but_spills_only_past_a_transaction_budget()
    {
        _database.Open();
        using var writer = MetadataConnections.OpenWriter(MetadataConnections.ConnectionString(_database.DatabasePath));
        var pageSize = Number(writer.ExecuteScalar("PRAGMA page_size;"));

        Assert.Equal(-MetadataConnections.WriterCacheKibibytes, Number(writer.ExecuteScalar("PRAGMA cache_size;")));
        Assert.Equal(MetadataConnections.WriterSpillKibibytes * 1024L / pageSize, Number(writer.ExecuteScalar("PRAGMA cache_spill;")));
    }

    public void Dispose() => _database.Dispose();

    private static long Number(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
