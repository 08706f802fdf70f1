using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// Read and write capacity units (and requests) since the last <see cref="Take"/>: as DynamoDB Local reports them, and
/// the write units as AWS documents billing them (<see cref="CapacityProbe"/> explains the difference).
/// </summary>
internal readonly record struct Capacity(double ReadUnits, double WriteUnits, long Requests, double BilledWriteUnits = 0)
{
    public double Total => ReadUnits + WriteUnits;

    public static Capacity operator +(Capacity a, Capacity b) =>
        new(a.ReadUnits + b.ReadUnits, a.WriteUnits + b.WriteUnits, a.Requests + b.Requests, a.BilledWriteUnits + b.BilledWriteUnits);

    public Capacity Per(int count) => new(ReadUnits / count, WriteUnits / count, Requests / count, BilledWriteUnits / count);
}

/// <summary>
/// Splits the consumed capacity DynamoDB reports into read and write units by request type (the adapters' own
/// <c>DynamoDbCapacityMeter</c> keeps one total per port method): GetItem, Query, Scan, BatchGetItem and
/// TransactGetItems are reads; PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems (condition checks
/// included) are writes. Thread-safe; phases are measured one at a time.
/// DynamoDB Local meters single-item writes as AWS documents (1 WRU per KB, plus each index write), but not transactions:
/// it bills 4 WRU per table and KB of the items summed, and 4 per index write, where AWS bills 2 WRU per item and KB,
/// every item rounded up alone ("DynamoDB performs two underlying reads or writes of every item in the transaction",
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
/// So a transaction's billed write units are computed here from its request: 2 × KB for each Put (its item's size, by
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html) and 2 for each
/// Update, Delete or ConditionCheck (the items this benchmark updates or checks in transactions — entries, namespace
/// heads, sharing items — are under 1 KB), plus one WRU per index write, counted from DynamoDB Local's per-index
/// report (4 per index write in a transaction). Transactions must ask for <c>ReturnConsumedCapacity = INDEXES</c>.
/// </summary>
internal sealed class CapacityProbe
{
    private readonly Lock _lock = new();
    private Capacity _since;

    public CapacityProbe(AmazonDynamoDBClient client) => client.AfterResponseEvent += OnResponse;

    public Capacity Take()
    {
        lock (_lock)
        {
            var taken = _since;
            _since = default;
            return taken;
        }
    }

    private void OnResponse(object sender, ResponseEventArgs e)
    {
        if (e is not WebServiceResponseEventArgs { Response: { } response } args)
        {
            return;
        }

        var billed = response is TransactWriteItemsResponse transaction && args.Request is TransactWriteItemsRequest request
            ? BilledUnits(request, transaction.ConsumedCapacity)
            : (double?)null;
        var (units, write) = Classify(response);
        lock (_lock)
        {
            _since += write ? new Capacity(0, units, 1, billed ?? units) : new Capacity(units, 0, 1);
        }
    }

    /// <summary>The capacity units a DynamoDB response reports, and whether they are write units.</summary>
    public static (double Units, bool Write) Classify(Amazon.Runtime.AmazonWebServiceResponse response) =>
        response switch
        {
            GetItemResponse r => (Sum(r.ConsumedCapacity), false),
            QueryResponse r => (Sum(r.ConsumedCapacity), false),
            ScanResponse r => (Sum(r.ConsumedCapacity), false),
            BatchGetItemResponse r => (Sum(r.ConsumedCapacity), false),
            TransactGetItemsResponse r => (Sum(r.ConsumedCapacity), false),
            PutItemResponse r => (Sum(r.ConsumedCapacity), true),
            UpdateItemResponse r => (Sum(r.ConsumedCapacity), true),
            DeleteItemResponse r => (Sum(r.ConsumedCapacity), true),
            BatchWriteItemResponse r => (Sum(r.ConsumedCapacity), true),
            TransactWriteItemsResponse r => (Sum(r.ConsumedCapacity), true),
            _ => (0.0, false),
        };

    private static double BilledUnits(TransactWriteItemsRequest request, List<ConsumedCapacity>? consumed)
    {
        var items = request.TransactItems.Sum(i => 2 * (i.Put is { } put ? Math.Max(1, Math.Ceiling(ItemBytes(put.Item) / 1024.0)) : 1));
        var indexUnits = (consumed ?? []).Sum(c =>
            (c.LocalSecondaryIndexes?.Values.Sum(i => i.CapacityUnits ?? 0) ?? 0) + (c.GlobalSecondaryIndexes?.Values.Sum(i => i.CapacityUnits ?? 0) ?? 0));
        return items + (indexUnits / 4);
    }

    /// <summary>An item's size as DynamoDB counts it: attribute names plus values (strings and binaries by length, numbers ≤ 21 bytes).</summary>
    private static double ItemBytes(Dictionary<string, AttributeValue> item) =>
        item.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value));

    private static double ValueBytes(AttributeValue value) => value switch
    {
        { S: { } s } => Encoding.UTF8.GetByteCount(s),
        { N: { } n } => Math.Min(21, 1 + ((n.TrimStart('-').Replace(".", "", StringComparison.Ordinal).Length + 1) / 2)),
        { B: { } b } => b.Length,
        { L: { } l } => 3 + l.Sum(v => 1 + ValueBytes(v)),
        { M: { } m } => 3 + m.Sum(a => 1 + Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value)),
        _ => 1,
    };

    private static double Sum(ConsumedCapacity? consumed) => consumed?.CapacityUnits ?? 0;

    private static double Sum(List<ConsumedCapacity>? consumed) => consumed?.Sum(c => c.CapacityUnits ?? 0) ?? 0;
}
