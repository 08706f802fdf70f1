using Amazon.SQS.Model;
using DropSync.Aws.Sqs;
using DropSync.AwsHarness.Recording;
using DropSync.Core.Model;

namespace DropSync.AwsHarness.Tests;

/// <summary>The change queue's event source mapping feeding the real fanout function.</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class SqsEventSourceTests(HarnessFixture fixture)
{
    [Fact]
    public async Task A_poison_message_reaches_the_DLQ_after_maxReceiveCount_while_the_good_messages_of_its_batch_are_delivered()
    {
        var harness = fixture.Harness;
        var queue = harness.Template.Queues.Single(q => q.Url == harness.ChangeQueueUrl);
        Assert.Equal(5, queue.MaxReceiveCount);
        var good = Enumerable.Range(1, 3).Select(i => ChangeMessages.Serialize(new ChangeRecord
        {
            NamespaceId = Namespaces.RootOf("user-" + Guid.NewGuid().ToString("N")),
            Sequence = i,
            Kind = ChangeKind.Added,
            PathDisplay = $"/file{i}.txt",
            EntryKind = EntryKind.File,
            DeviceId = "device-" + Guid.NewGuid().ToString("N"),
            Time = DateTimeOffset.UtcNow,
        })).ToList();
        const string poison = "this is not a change";

        // One SendMessageBatch: the four arrive together and the event source takes them as one batch.
        var sent = await harness.Servers.Sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = harness.ChangeQueueUrl,
            Entries = [.. good.Append(poison).Select((body, i) => new SendMessageBatchRequestEntry("m" + i, body))],
        });
        Assert.Equal(4, sent.Successful.Count);
        var poisonId = sent.Successful.Single(s => s.Id == "m3").MessageId;

        var deadLetter = await WaitForDeadLetterAsync(harness, TimeSpan.FromSeconds(60));
        Assert.Equal(poison, deadLetter.Body);
        Assert.Equal(poisonId, deadLetter.MessageId);
        await harness.ChangeQueueEvents.WaitUntilDrainedAsync(TimeSpan.FromSeconds(30));

        // The good ones were deleted by the event source (under the fanout function's role), never dead-lettered.
        var calls = harness.Calls.Snapshot();
        Assert.Contains(new AwsCall("fanout", "sqs:DeleteMessage", queue.Arn), calls);
        Assert.Contains(new AwsCall("fanout", "sqs:ReceiveMessage", queue.Arn), calls);
        Assert.Contains(new AwsCall("fanout", "kms:Decrypt", queue.KmsKeyArn!), calls);
        Assert.Contains(calls, c => c.Function == "fanout" && c.Action.StartsWith("dynamodb:", StringComparison.Ordinal));
        var rest = await harness.Servers.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = harness.DeadLetterQueueUrl, WaitTimeSeconds = 0 });
        Assert.Empty(rest.Messages ?? []);
    }

    private static async Task<Message> WaitForDeadLetterAsync(AwsHarness harness, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var received = await harness.Servers.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = harness.DeadLetterQueueUrl,
                WaitTimeSeconds = 1,
                MessageSystemAttributeNames = ["All"],
            });
            if (received.Messages is [var message, ..])
            {
                await harness.Servers.Sqs.DeleteMessageAsync(harness.DeadLetterQueueUrl, message.ReceiptHandle);
                return message;
            }
        }

        throw new TimeoutException("Nothing reached the dead-letter queue.");
    }
}
