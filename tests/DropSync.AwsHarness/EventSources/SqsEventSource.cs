using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using DropSync.AwsHarness.Lambda;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.Stack;

namespace DropSync.AwsHarness.EventSources;

/// <summary>
/// The template's SQS event source mapping, as Lambda runs it (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html):
/// long-polls the queue (up to the batch size, waiting up to the batching window for a fuller batch), invokes the
/// function synchronously with the documented event, and then:
/// <list type="bullet">
/// <item>function error: deletes nothing; the batch returns after the queue's visibility timeout (and redrive moves a
/// message received more than maxReceiveCount times to the DLQ — fauxqs does that on receive, as SQS does);</item>
/// <item>success without ReportBatchItemFailures: deletes the batch;</item>
/// <item>success with it: the partial batch response rules of
/// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html — an empty or null list (or no
/// batchItemFailures at all) means all succeeded; a response that is not valid JSON, or an itemIdentifier that is null,
/// empty or not a message of the batch, fails the whole batch; otherwise all but the listed messages are deleted.</item>
/// </list>
/// Lambda polls and deletes with the function's execution role, so those calls are recorded as the function's.
/// </summary>
public sealed class SqsEventSource : IAsyncDisposable
{
    private readonly IAmazonSQS _sqs;
    private readonly QueueView _queue;
    private readonly EventSourceMappingView _mapping;
    private readonly ILambdaFunction _function;
    private readonly string _functionName;
    private readonly string _region;
    private readonly AwsCallLog _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _inFlight;

    public SqsEventSource(IAmazonSQS sqs, QueueView queue, EventSourceMappingView mapping, ILambdaFunction function, string functionName, string region, AwsCallLog log)
    {
        _sqs = sqs;
        _queue = queue;
        _mapping = mapping;
        _function = function;
        _functionName = functionName;
        _region = region;
        _log = log;
    }

    /// <summary>Batches invoked so far, with the function's result (or error) — for tests that look at deliveries.</summary>
    public int Invocations { get; private set; }

    public void Start()
    {
        // Creating the mapping validates the queue with GetQueueAttributes, under the function's role.
        Record("sqs:GetQueueAttributes");
        _loop = Task.Run(() => PollAsync(_stop.Token));
    }

    /// <summary>Waits until the queue holds no message, visible or in flight, and no batch is being handled.</summary>
    public async Task WaitUntilDrainedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var attributes = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
            {
                QueueUrl = _queue.Url,
                AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            }).ConfigureAwait(false);
            if (attributes.ApproximateNumberOfMessages == 0 && attributes.ApproximateNumberOfMessagesNotVisible == 0 && Volatile.Read(ref _inFlight) == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{_queue.Name} not drained: {attributes.ApproximateNumberOfMessages} visible, {attributes.ApproximateNumberOfMessagesNotVisible} in flight.");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var batch = await ReceiveBatchAsync(ct).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    continue;
                }

                Interlocked.Increment(ref _inFlight);
                try
                {
                    await HandleAsync(batch, ct).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is AmazonSQSException or HttpRequestException)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Up to BatchSize messages; with a batching window, keeps polling until it is full or the window ends.</summary>
    private async Task<List<Message>> ReceiveBatchAsync(CancellationToken ct)
    {
        var batch = new List<Message>();
        var windowEnds = DateTime.UtcNow.AddSeconds(_mapping.MaximumBatchingWindowSeconds);
        do
        {
            var waitSeconds = batch.Count == 0 ? 20 : Math.Max(0, (int)Math.Ceiling((windowEnds - DateTime.UtcNow).TotalSeconds));
            Record("sqs:ReceiveMessage");
            var received = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = _queue.Url,
                MaxNumberOfMessages = Math.Min(10, _mapping.BatchSize - batch.Count),
                WaitTimeSeconds = Math.Min(waitSeconds, 20),
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            }, ct).ConfigureAwait(false);
            batch.AddRange(received.Messages ?? []);
            if (batch.Count == 0)
            {
                windowEnds = DateTime.UtcNow.AddSeconds(_mapping.MaximumBatchingWindowSeconds);
            }
        }
        while (batch.Count > 0 && batch.Count < _mapping.BatchSize && DateTime.UtcNow < windowEnds);
        return batch;
    }

    private async Task HandleAsync(List<Message> batch, CancellationToken ct)
    {
        var result = await _function.InvokeAsync(EventOf(batch).ToJsonString(), ct).ConfigureAwait(false);
        Invocations++;
        if (result.Failed)
        {
            return;
        }

        var failed = _mapping.ReportBatchItemFailures ? PartialBatchResponse.FailedIds(result.Payload, batch.Select(m => m.MessageId)) : [];
        if (failed is null)
        {
            return;
        }

        var delete = batch.Where(m => !failed.Contains(m.MessageId)).ToList();
        if (delete.Count == 0)
        {
            return;
        }

        Record("sqs:DeleteMessage");
        await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = _queue.Url,
            Entries = [.. delete.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))],
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The documented SQS event (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, "Example standard queue message event").</summary>
    private JsonObject EventOf(List<Message> batch) => new()
    {
        ["Records"] = new JsonArray([.. batch.Select(m => (JsonNode)new JsonObject
        {
            ["messageId"] = m.MessageId,
            ["receiptHandle"] = m.ReceiptHandle,
            ["body"] = m.Body,
            ["attributes"] = new JsonObject([.. (m.Attributes ?? []).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))]),
            ["messageAttributes"] = new JsonObject([.. (m.MessageAttributes ?? []).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)new JsonObject
            {
                ["stringValue"] = a.Value.StringValue,
                ["binaryValue"] = a.Value.BinaryValue is null ? null : Convert.ToBase64String(a.Value.BinaryValue.ToArray()),
                ["stringListValues"] = new JsonArray(),
                ["binaryListValues"] = new JsonArray(),
                ["dataType"] = a.Value.DataType,
            }))]),
            ["md5OfBody"] = m.MD5OfBody,
            ["eventSource"] = "aws:sqs",
            ["eventSourceARN"] = _queue.Arn,
            ["awsRegion"] = _region,
        })]),
    };

    private void Record(string action)
    {
        _log.Record(new AwsCall(_functionName, action, _queue.Arn));
        if (action is "sqs:ReceiveMessage" && _queue.KmsKeyArn is not null)
        {
            _log.Record(new AwsCall(_functionName, "kms:Decrypt", _queue.KmsKeyArn));
        }
    }
}
