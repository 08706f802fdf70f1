using System.Text.Json;
using System.Text.Json.Serialization;
using DropSync.Core.Model;

namespace DropSync.Aws.Sqs;

/// <summary>How a committed change travels as an SQS message body: the journal entry as JSON (snake_case, enum names).</summary>
public static class ChangeMessages
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(ChangeRecord change) => JsonSerializer.Serialize(change, Json);

    /// <summary>The change in a message body; throws <see cref="JsonException"/> for anything else.</summary>
    public static ChangeRecord Deserialize(string body) =>
        JsonSerializer.Deserialize<ChangeRecord>(body, Json) ?? throw new JsonException("The message body is not a change.");

    /// <summary>The deduplication id of a change (unique per journal and sequence; a namespace's own journal is its id).</summary>
    public static string DeduplicationId(ChangeRecord change) => change.JournalId + ":" + change.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
