using System.Text.Json;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.EventSources;

/// <summary>
/// How Lambda reads a function's partial batch response for an SQS event source with ReportBatchItemFailures
/// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): an empty or null batchItemFailures
/// list, or none at all, means every message succeeded; a response that is not valid JSON, an itemIdentifier that is
/// null or empty, or one that names no message of the batch, means the whole batch failed.
/// </summary>
public static class PartialBatchResponse
{
    /// <summary>The message ids to keep (not delete); null when the whole batch counts as failed.</summary>
    public static HashSet<string>? FailedIds(string? payload, IEnumerable<string> batchMessageIds)
    {
        var batch = batchMessageIds.ToHashSet(StringComparer.Ordinal);
        JsonNode? response;
        try
        {
            response = string.IsNullOrWhiteSpace(payload) ? null : JsonNode.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }

        if (response is null)
        {
            return [];
        }

        if (response is not JsonObject obj)
        {
            return null;
        }

        if (obj["batchItemFailures"] is null)
        {
            return [];
        }

        if (obj["batchItemFailures"] is not JsonArray failures)
        {
            return null;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var failure in failures)
        {
            var id = failure?["itemIdentifier"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            if (string.IsNullOrEmpty(id) || !batch.Contains(id))
            {
                return null;
            }

            ids.Add(id);
        }

        return ids;
    }
}
