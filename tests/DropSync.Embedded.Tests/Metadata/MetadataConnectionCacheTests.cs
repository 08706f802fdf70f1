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

    public void Dispose() => _database.Dispose();

    private static long Number(object? value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
