using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace DropSync.Aws.Benchmarks;

/// <summary>Read and write capacity units (and requests) since the last <see cref="Take"/>.</summary>
internal readonly record struct Capacity(double ReadUnits, double WriteUnits, long Requests)
{
    public double Total => ReadUnits + WriteUnits;

    public static Capacity operator +(Capacity a, Capacity b) => new(a.ReadUnits + b.ReadUnits, a.WriteUnits + b.WriteUnits, a.Requests + b.Requests);

    public Capacity Per(int count) => new(ReadUnits / count, WriteUnits / count, Requests / count);
}

/// <summary>
/// Splits the consumed capacity DynamoDB reports into read and write units by request type (the adapters' own
/// <c>DynamoDbCapacityMeter</c> keeps one total per port method): GetItem, Query, Scan, BatchGetItem and
/// TransactGetItems are reads; PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems (condition checks
/// included) are writes. Thread-safe; phases are measured one at a time.
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
        if (e is not WebServiceResponseEventArgs { Response: { } response })
        {
            return;
        }

        var (units, write) = Classify(response);
        lock (_lock)
        {
            _since += write ? new Capacity(0, units, 1) : new Capacity(units, 0, 1);
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

    private static double Sum(ConsumedCapacity? consumed) => consumed?.CapacityUnits ?? 0;

    private static double Sum(List<ConsumedCapacity>? consumed) => consumed?.Sum(c => c.CapacityUnits ?? 0) ?? 0;
}
