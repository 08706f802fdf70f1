using System.Text.Json;
using System.Text.Json.Serialization;

namespace DropSync.Api.Hosting;

/// <summary>JSON on the wire: snake_case names, enums as snake_case strings, nulls left out.</summary>
internal static class JsonSetup
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.AllowTrailingCommas = false;
    }
}
