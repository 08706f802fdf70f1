using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace DropSync.Api.Hosting;

/// <summary>
/// Says what is wrong with a JSON body in the client's terms: the field (as JSON names it) and the JSON type it must
/// have. System.Text.Json's own messages name the .NET types the body was bound to ("could not be converted to
/// DropSync.Api.Apis.ListFolderRequest"), which are internals and mean nothing to a client.
/// </summary>
internal static class JsonProblems
{
    public static string Describe(JsonException error, Type? bodyType, JsonSerializerOptions options, string what = "The JSON body")
    {
        // The serializer wraps the reader's syntax errors; its own type errors have no inner JSON error.
        if (error.InnerException is JsonException)
        {
            return error.LineNumber is { } line && error.BytePositionInLine is { } column
                ? $"{what} is not valid JSON (line {line + 1}, byte {column + 1})."
                : $"{what} is not valid JSON.";
        }

        var field = FieldName(error.Path);
        var expected = bodyType is null ? null : ExpectedAt(bodyType, error.Path, options);
        return (field, expected) switch
        {
            (null, _) => $"{what} must be a JSON object; see /openapi/v1.json for its fields.",
            (_, null) => $"The JSON field \"{field}\" has the wrong type; see /openapi/v1.json.",
            _ => $"The JSON field \"{field}\" must be {expected}.",
        };
    }

    /// <summary>"$.blocks[0].size" → "blocks[0].size"; null for the body itself.</summary>
    private static string? FieldName(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    /// <summary>The JSON type expected at a path, found by walking the serializer's contract for the body type.</summary>
    private static string? ExpectedAt(Type bodyType, string? path, JsonSerializerOptions options)
    {
        var type = bodyType;
        foreach (var segment in Segments(path))
        {
            var info = options.GetTypeInfo(type);
            if (segment.Index)
            {
                type = info.ElementType ?? typeof(object);
                continue;
            }

            var property = info.Kind == JsonTypeInfoKind.Object ? info.Properties.FirstOrDefault(p => p.Name == segment.Name) : null;
            if (property is null)
            {
                return null;
            }

            type = property.PropertyType;
        }

        return JsonTypeName(type);
    }

    private static string JsonTypeName(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time as a string (ISO 8601, e.g. \"2026-11-26T08:46:19.353Z\")",
            _ when type.IsEnum => "a string",
            _ when typeof(IEnumerable).IsAssignableFrom(type) => "an array",
            _ => "an object",
        };
    }

    private static IEnumerable<(string Name, bool Index)> Segments(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            yield break;
        }

        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], false);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                // Names that need quoting: $['odd name'].
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 2)..end], false);
                i = Math.Min(path.Length, end + 2);
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], true);
                i = Math.Min(path.Length, end + 1);
            }
            else
            {
                yield break;
            }
        }
    }
}
