using Amazon.SQS;
using Amazon.SQS.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Extensions.Logging;

namespace DropSync.Aws.Sqs;

/// <summary>
/// The AWS change publisher: each committed journal entry becomes one SQS message (sent 10 to a batch), which the fan-out
/// consumes. On a FIFO queue (URL ending ".fifo") messages are grouped by namespace, so one namespace's changes arrive in
/// journal order, and deduplicated by namespace and sequence. A failed send is logged and dropped: the commit has already
/// landed and devices find the change in the journal by cursor.
/// </summary>
public sealed partial class SqsChangePublisher : IChangePublisher
{
    /// <summary>SQS's limit on the entries of one SendMessageBatch.</summary>
    public const int MaxBatch = 10;

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly bool _fifo;
    private readonly ILogger<SqsChangePublisher> _logger;

    public SqsChangePublisher(IAmazonSQS sqs, string queueUrl, ILogger<SqsChangePublisher> logger)
    {
        _sqs = sqs ?? throw new ArgumentNullException(nameof(sqs));
        _queueUrl = string.IsNullOrEmpty(queueUrl) ? throw new ArgumentException("A queue URL is required.", nameof(queueUrl)) : queueUrl;
        _fifo = queueUrl.EndsWith(".fifo", StringComparison.OrdinalIgnoreCase);
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public async ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var chunk in changes.Chunk(MaxBatch))
        {
            try
            {
                var request = new SendMessageBatchRequest
                {
                    QueueUrl = _queueUrl,
                    Entries = chunk.Select((change, i) => Entry(change, i)).ToList(),
                };
                var response = await _sqs.SendMessageBatchAsync(request, cancellationToken).ConfigureAwait(false);
                foreach (var failed in response.Failed ?? [])
                {
                    LogEntryFailed(failed.Id, failed.Code, failed.Message);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSendFailed(e, chunk.Length, chunk[0].NamespaceId);
            }
        }
    }

    private SendMessageBatchRequestEntry Entry(ChangeRecord change, int index)
    {
        var entry = new SendMessageBatchRequestEntry
        {
            Id = "c" + index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            MessageBody = ChangeMessages.Serialize(change),
        };
        if (_fifo)
        {
            // Order matters per journal (OrderedDispatcher): a sharded namespace's shards are separate groups.
            entry.MessageGroupId = change.JournalId;
            entry.MessageDeduplicationId = ChangeMessages.DeduplicationId(change);
        }

        return entry;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish {Count} change(s) of {NamespaceId} to SQS; devices will find them by cursor")]
    private partial void LogSendFailed(Exception error, int count, string namespaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQS refused change entry {EntryId}: {Code} {Reason}; devices will find it by cursor")]
    private partial void LogEntryFailed(string entryId, string code, string reason);
}
