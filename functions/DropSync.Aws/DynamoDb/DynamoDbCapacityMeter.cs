using System.Collections.Concurrent;
using Amazon.DynamoDBv2.Model;

namespace DropSync.Aws.DynamoDb;

/// <summary>One DynamoDB request's consumed capacity, labelled with the port operation that made it.</summary>
public sealed record CapacityUse(string Operation, string Table, double CapacityUnits);

/// <summary>Running totals of one operation: DynamoDB requests made and capacity units consumed.</summary>
public sealed record CapacityTotal(long Requests, double CapacityUnits);

/// <summary>
/// Collects the capacity DynamoDB reports (every request asks for <c>ReturnConsumedCapacity = TOTAL</c>), per port
/// operation, so a benchmark can report capacity units per commit, read or upload. Thread-safe.
/// </summary>
public sealed class DynamoDbCapacityMeter
{
    private readonly ConcurrentDictionary<string, CapacityTotal> _totals = new(StringComparer.Ordinal);

    /// <summary>Raised for every request that reported consumed capacity.</summary>
    public event Action<CapacityUse>? Consumed;

    /// <summary>Totals per operation (e.g. "ApplyAsync", "GetEntryAsync") since creation or the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, CapacityTotal> Snapshot() => new Dictionary<string, CapacityTotal>(_totals, StringComparer.Ordinal);

    public double TotalCapacityUnits => _totals.Values.Sum(t => t.CapacityUnits);

    public void Reset() => _totals.Clear();

    internal void Record(string operation, IEnumerable<ConsumedCapacity>? consumed)
    {
        var units = 0.0;
        foreach (var use in consumed ?? [])
        {
            var value = use.CapacityUnits ?? 0;
            units += value;
            Consumed?.Invoke(new CapacityUse(operation, use.TableName ?? "", value));
        }

        _totals.AddOrUpdate(operation, _ => new CapacityTotal(1, units), (_, t) => new CapacityTotal(t.Requests + 1, t.CapacityUnits + units));
    }

    internal void Record(string operation, ConsumedCapacity? consumed) => Record(operation, consumed is null ? null : [consumed]);
}
