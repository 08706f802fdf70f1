using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DropSync.Core.Model;

/// <summary>
/// The one way times leave the API, in every answer, header and live event: UTC with a <c>Z</c> and exactly three
/// decimals, e.g. <c>2026-11-26T08:46:19.353Z</c>. Stores keep milliseconds, so an answer made from a value just
/// written (an upload's) and one read back later (list_folder's) are the same string, and clients may compare them.
/// </summary>
public static class ApiTimestamps
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Formats a time as the API does; sub-millisecond ticks are dropped, as the stores drop them.</summary>
    public static string ToApi(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}

/// <summary>System.Text.Json converter for <see cref="ApiTimestamps"/>; reads any ISO 8601 date and time.</summary>
public sealed class ApiTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        // A JsonException (not the reader's FormatException) so the serializer adds the field's path to it.
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time) ? time : throw new JsonException("Expected an ISO 8601 date and time.");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ApiTimestamps.ToApi(value));
}
