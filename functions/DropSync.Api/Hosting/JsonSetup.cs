using System.Text.Json;
using System.Text.Json.Serialization;
using DropSync.Core.Model;

namespace DropSync.Api.Hosting;

/// <summary>JSON on the wire: snake_case names, enums as snake_case strings, nulls left out, times as <see cref="ApiTimestamps"/>.</summary>
internal static class JsonSetup
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new ApiTimestampConverter());
        options.AllowTrailingCommas = false;
    }
}
