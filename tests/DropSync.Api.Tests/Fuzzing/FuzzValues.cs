using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace DropSync.Api.Tests.Fuzzing;

/// <summary>
/// Generators of hostile values: strings (real ids and paths of the world, path traversal, odd Unicode, NUL, huge
/// strings), numbers at and past every limit, and JSON text shaped by an OpenAPI schema then mutated (wrong types,
/// missing and extra fields, deep nesting). JSON is produced as text, so that it can also be what no serializer
/// writes: overflowing numbers, duplicate keys, lone surrogates.
/// </summary>
public sealed class FuzzValues
{
    private static readonly string[] PathLike =
    [
        "", "/", "/Shared", "/Shared/doc.txt", "/Shared/Sub", "/Shared/Sub/deep.txt", "/Private", "/Private/secret.txt", "/Mine", "/Mine/m.txt",
        "/CarolOwn/c.txt", "/BobOnly/notes.txt", "/shared/DOC.TXT", "/Shared/../Private/secret.txt", "/../", "..", "../../etc/passwd",
        "/Shared/%2e%2e/Private", "/Shared/..%2fPrivate", "\\Shared\\doc.txt", "//Shared//doc.txt", "/Shared/./doc.txt", "/ends with space ",
        "/trailing.", "/CON", "/aux.txt", "/a\0b", "\0", "/\u202Egnp.exe", "/日本語/ファイル.txt", "/emoji😀/x", "/\ud800", "/\udfff\ud800",
        "/tab\there", "/new\nline", "/Shared/doc.txt/child", "/Shared/", "Shared/doc.txt", "/ＳＨＡＲＥＤ", "/Shared\u0301", "id:abc", "rev:1",
        "/" + new string('a', 300), "%00", "%", "/%ZZ", "null", "true", "0", "-1", "1e309", "NaN",
    ];

    private readonly string[] _known;

    public FuzzValues(FuzzWorld world)
    {
        _known =
        [
            world.AliceRev, world.AliceCursor, world.AliceLinkId, world.AliceLinkToken, world.AliceUploadId, world.AliceDeviceId,
            world.AliceBlockHash, world.MalloryLinkToken, world.AliceRevokedToken, .. world.Emails,
            "editor", "viewer", "owner", "add", "overwrite", "update", "media", "resumable", "ap_unknown", "dst_" + new string('0', 32),
            world.AliceCursor[..(world.AliceCursor.Length / 2)], world.AliceCursor + "x", new string('0', 64),
        ];
        Text = FuzzGen.Pick(
            (30, Gen.OneOf(PathLike)),
            (15, Gen.OneOf(_known)),
            (8, Gen.String[0, 30]),
            (4, Gen.Select(Gen.OneOf(PathLike), Gen.String[0, 12], (p, s) => p + "/" + s)),
            (2, Gen.Int[50, 2_000].Select(n => string.Concat(Enumerable.Repeat("/a", n)))),
            (1, Gen.Int[10_000, 1_000_000].Select(n => new string('x', n))),
            (1, Gen.Int[1_000, 100_000].Select(n => string.Concat(Enumerable.Repeat("😀\u0301/", n)))));
        Any = FuzzGen.Pick(
            (4, Text.Select(Quote)),
            (3, Integer),
            (1, Gen.OneOf("true", "false", "null", "[]", "{}", "[1,2,3]", "{\"\":null}", "[\"a\",{\"b\":[null]}]")),
            (1, Gen.Int[100, 5_000].Select(n => new string('[', n) + new string(']', n))),
            (1, Gen.Int[100, 5_000].Select(n => string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n))),
            (1, Gen.Int[0, 3_000].SelectMany(n => Gen.OneOf(PathLike).Select(t => "[" + string.Join(",", Enumerable.Repeat(Quote(t), n)) + "]"))));
    }

    /// <summary>Any string an attacker might send where the API expects one.</summary>
    public Gen<string> Text { get; }

    /// <summary>Any JSON value: the wrong type wherever it lands.</summary>
    public Gen<string> Any { get; }

    public static Gen<string> Integer { get; } = FuzzGen.Pick(
        (3, Gen.OneOf("0", "-1", "1", "2", "100", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1e400", "-1e400", "0.5", "-0", "1E2", "10737418240", "4194305", "1" + new string('0', 400))),
        (2, Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture))));

    /// <summary>JSON text for a schema of the OpenAPI document: mostly the right shape, each part now and then wrong.</summary>
    public Gen<string> ForSchema(JsonNode? schema, JsonObject components, int depth = 0)
    {
        schema = Resolve(schema, components);
        if (schema is null || depth > 4)
        {
            return Any;
        }

        var valid = TypeOf(schema) switch
        {
            "object" => ObjectFor(schema, components, depth),
            "array" => ForSchema(schema["items"], components, depth + 1).Array[0, 4].Select(items => "[" + string.Join(",", items) + "]"),
            "string" => Text.Select(Quote),
            "integer" or "number" => Integer,
            "boolean" => Gen.OneOf("true", "false"),
            _ => Any,
        };
        return FuzzGen.Pick((14, valid), (1, Any), (1, Gen.Const("null")));
    }

    /// <summary>
    /// Text as a JSON string, every non-ASCII UTF-16 unit escaped (so a lone surrogate travels as the escape "\ud800",
    /// which System.Text.Json must refuse or replace, not crash on).
    /// </summary>
    public static string Quote(string text)
    {
        var json = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => json.Append("\\\""),
                '\\' => json.Append("\\\\"),
                < ' ' or > '~' => json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => json.Append(c),
            };
        }

        return json.Append('"').ToString();
    }

    /// <summary>
    /// Percent-encodes text for a URL (UTF-8; a lone surrogate becomes U+FFFD), cut to keep the URL under Uri's length
    /// limit. In a path (<paramref name="inPath"/>, slashes kept) NUL is left out: Kestrel answers 400 to a %00 in the
    /// path before the app sees it, where the test host throws instead.
    /// </summary>
    public static string Escape(string text, bool inPath = false)
    {
        var escaped = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text.Length > 1_000 ? text[..1_000] : text))
        {
            var c = (char)b;
            if (inPath && c == '\0')
            {
                continue;
            }

            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (inPath && c == '/'))
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    private Gen<string> ObjectFor(JsonNode schema, JsonObject components, int depth)
    {
        var properties = (schema["properties"] as JsonObject ?? []).Select(p => FuzzGen.Pick(
            (6, ForSchema(p.Value, components, depth + 1).Select(v => (string?)(Quote(p.Key) + ":" + v))),
            (1, Gen.Const((string?)null))))
            .ToList();
        var extra = FuzzGen.Pick(
            (8, Gen.Const((string?)null)),
            (1, Gen.Select(Text, Any, (k, v) => (string?)(Quote(k.Length > 100 ? k[..100] : k) + ":" + v))),
            // A duplicate of a declared key, after the first.
            (1, Gen.OneOf((schema["properties"] as JsonObject ?? []).Select(p => p.Key).DefaultIfEmpty("path").ToArray())
                .SelectMany(key => Any.Select(v => (string?)(Quote(key) + ":" + v)))));
        return FuzzGen.Sequence([.. properties, extra]).Select(parts => "{" + string.Join(",", parts.OfType<string>()) + "}");
    }

    private static JsonNode? Resolve(JsonNode? schema, JsonObject components)
    {
        for (var hops = 0; hops < 8 && schema?["$ref"]?.GetValue<string>() is { } reference; hops++)
        {
            schema = components["schemas"]?[reference["#/components/schemas/".Length..]];
        }

        return schema;
    }

    private static string? TypeOf(JsonNode schema)
    {
        var type = schema["type"] switch
        {
            JsonArray types => types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t != "null"),
            JsonValue one => one.GetValue<string>(),
            _ => null,
        };
        return type ?? (schema["properties"] is not null ? "object" : schema["items"] is not null ? "array" : null);
    }
}

/// <summary>CsCheck helpers.</summary>
public static class FuzzGen
{
    /// <summary>Gen.Frequency over generators (its overload for constants would otherwise take the generators as the values).</summary>
    public static Gen<T> Pick<T>(params (int Weight, Gen<T> Gen)[] choices) =>
        Gen.Frequency([.. choices.Select(c => (c.Weight, (IGen<T>)c.Gen))]);

    public static Gen<List<T>> Sequence<T>(IReadOnlyList<Gen<T>> gens) =>
        gens.Aggregate(Gen.Const(() => new List<T>()), (all, next) => all.SelectMany(list => next.Select(item => new List<T>(list) { item })));
}
