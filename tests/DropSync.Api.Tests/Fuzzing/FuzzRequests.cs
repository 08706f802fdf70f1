using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace DropSync.Api.Tests.Fuzzing;

/// <summary>Whose credentials a fuzzed request carries (resolved against the <see cref="FuzzWorld"/> when it is sent).</summary>
public enum FuzzCredential
{
    Carol,
    Mallory,
    AliceRevoked,
    AliceLinkTokenAsBearer,
    Garbage,
    None,
}

/// <summary>One request as sent, printable so that a failure reproduces by hand.</summary>
public sealed record FuzzRequest(
    string Operation, string Method, string Url, FuzzCredential Credential, string Garbage, IReadOnlyList<(string Name, string Value)> Headers, string? ContentType, byte[] Body)
{
    public override string ToString()
    {
        var text = new StringBuilder($"[{Operation}] {Method} {Url}\n  as {Credential}{(Credential == FuzzCredential.Garbage ? $" (Authorization: {Garbage})" : "")}\n");
        foreach (var (name, value) in Headers)
        {
            text.Append($"  {name}: {value}\n");
        }

        text.Append($"  Content-Type: {ContentType ?? "(none)"}; {Body.Length} bytes (other than printable ASCII as \\xNN): ");
        foreach (var b in Body.AsSpan(0, Math.Min(Body.Length, 2_000)))
        {
            _ = b is >= 0x20 and < 0x7F and not (byte)'\\' ? text.Append((char)b) : text.Append($"\\x{b:X2}");
        }

        return text.Append(Body.Length > 2_000 ? "…" : "").ToString();
    }
}

/// <summary>
/// Random and mutated requests across the API: mostly the OpenAPI document's operations (method and path from it, path
/// and query parameters and JSON bodies from its schemas, then mutated), the rest odd methods and paths, with random
/// headers and the credentials of any caller the fuzzer plays.
/// </summary>
public static class FuzzRequests
{
    private const string Declaration = """{"type":"object","properties":{"path":{"type":"string"},"size":{"type":"integer"},"mode":{"type":"string"},"rev":{"type":"string"},"content_hash":{"type":"string"},"blocks":{"type":"array","items":{"type":"object","properties":{"hash":{"type":"string"},"size":{"type":"integer"}}}}}}""";
    private const string Manifest = """{"type":"object","properties":{"files":{"type":"array","items":{"type":"object","properties":{"path":{"type":"string"},"mode":{"type":"string"},"rev":{"type":"string"}}}}}}""";

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "MKCOL", "MOVE", "COPY", "LOCK", "FOO"];

    private static readonly (string Name, string[] Values)[] HeaderPool =
    [
        ("Range", ["bytes=0-0", "bytes=-1", "bytes=999999999999-", "bytes=5-2", "bytes=0-1,2-3", "bytes=-0", "pages=1", "bytes=0-9223372036854775807"]),
        ("If-None-Match", ["*", "\"x\"", "W/\"\""]),
        ("If-Range", ["\"x\"", "Wed, 21 Oct 2015 07:28:00 GMT"]),
        ("DropSync-Link-Password", ["", "hunter2", new string('p', 5_000)]),
        ("Content-Encoding", ["gzip", "br", "identity"]),
        ("Accept", ["*/*", "text/html", "application/xml"]),
        ("X-Forwarded-For", ["1.2.3.4", "::1, 10.0.0.1", "garbage"]),
        ("X-Forwarded-Proto", ["https", "javascript"]),
        ("Origin", ["http://evil.example", "null"]),
        ("Destination", ["/dav/Private/x", "http://localhost/dav/Mine/y", "/dav/../etc", "::"]),
        ("Depth", ["0", "1", "infinity", "-1", "x"]),
        ("Overwrite", ["T", "F", "maybe"]),
        ("Upgrade", ["websocket"]),
        ("x-amzn-request-context", ["{}"]),
        ("X-DropSync-Events-Secret", ["guess"]),
    ];

    /// <summary>The document's operations: id, method, path template, parameters and JSON body schema.</summary>
    public static IReadOnlyList<(string Id, string Method, string Path, JsonArray Parameters, JsonNode? Body)> Operations(JsonNode document) =>
        [.. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject().Select(op => (
            op.Value!["operationId"]!.GetValue<string>(),
            op.Key.ToUpperInvariant(),
            path.Key,
            op.Value["parameters"] as JsonArray ?? [],
            op.Value["requestBody"]?["content"]?["application/json"]?["schema"])))];

    public static Gen<FuzzRequest> Create(JsonNode document, FuzzValues values, FuzzWorld world)
    {
        var components = document["components"]!.AsObject();
        var operations = Operations(document).Select(op => ForOperation(op, components, values, world)).ToArray();
        var documented = Gen.Int[0, operations.Length - 1].SelectMany(i => operations[i]);
        var request = FuzzGen.Pick((17, documented), (3, OddRoute(values, world)));
        var credential = FuzzGen.Pick(
            (4, Gen.Const(FuzzCredential.Carol)), (4, Gen.Const(FuzzCredential.Mallory)), (1, Gen.Const(FuzzCredential.AliceRevoked)),
            (1, Gen.Const(FuzzCredential.AliceLinkTokenAsBearer)), (1, Gen.Const(FuzzCredential.Garbage)), (1, Gen.Const(FuzzCredential.None)));
        var garbage = Gen.OneOf("Bearer ", "Bearer a b c", "bearer dst_", "Basic Zm9vOmJhcg==", "Basic !!!", "Token x", "Bearer " + new string('x', 300))
            .SelectMany(prefix => Gen.String[Gen.Char[' ', '~'], 0, 40].Select(s => prefix + s));
        var header = Gen.Int[0, HeaderPool.Length - 1].SelectMany(i => Gen.OneOf(HeaderPool[i].Values).Select(v => (HeaderPool[i].Name, v)));
        return Gen.Select(request, credential, garbage, header.List[0, 3], (r, c, g, h) => r with { Credential = c, Garbage = g, Headers = h });
    }

    private static Gen<FuzzRequest> ForOperation(
        (string Id, string Method, string Path, JsonArray Parameters, JsonNode? Body) op, JsonObject components, FuzzValues values, FuzzWorld world)
    {
        var pathValues = FuzzGen.Sequence([.. op.Parameters.Where(p => p!["in"]!.GetValue<string>() == "path").Select(p => ParameterValue(p!["name"]!.GetValue<string>(), values, world)
            .Select(v => (Name: p!["name"]!.GetValue<string>(), Value: v)))]);
        var query = FuzzGen.Sequence([.. op.Parameters.Where(p => p!["in"]!.GetValue<string>() == "query").Select(p => FuzzGen.Pick(
            (3, values.Text.Select(v => $"{p!["name"]!.GetValue<string>()}={FuzzValues.Escape(v)}")),
            (1, Gen.Const("")))),
            FuzzGen.Pick((9, Gen.Const("")), (1, values.Text.Select(v => "path=" + FuzzValues.Escape(v))), (1, Gen.Const("access_token=" + world.Carol.AccessToken)))]);
        var method = FuzzGen.Pick((12, Gen.Const(op.Method)), (1, Gen.OneOf(Methods)));
        var body = op.Id switch
        {
            "upload" => FuzzGen.Pick((1, Octets()), (1, Json(values.ForSchema(JsonNode.Parse(Declaration), components), values))),
            "uploadBatch" => Batch(values, components),
            "putBlock" or "putBlockRun" => Octets(),
            _ when op.Body is not null => Json(values.ForSchema(op.Body, components), values),
            _ => FuzzGen.Pick((6, Gen.Const<(string?, byte[])>((null, []))), (1, Json(values.Any, values))),
        };
        return Gen.Select(pathValues, query, method, body, (path, q, m, b) =>
        {
            var url = path.Aggregate(op.Path, (url, p) => url.Replace("{" + p.Name + "}", p.Value, StringComparison.Ordinal));
            var queryString = string.Join("&", q.Where(x => x.Length > 0));
            return new FuzzRequest(op.Id, m, queryString.Length > 0 ? url + "?" + queryString : url, FuzzCredential.None, "", [], b.Item1, b.Item2);
        });
    }

    /// <summary>A path parameter: often a real value of the world (a link's token, a block's hash), else any text.</summary>
    private static Gen<string> ParameterValue(string name, FuzzValues values, FuzzWorld world)
    {
        var real = name switch
        {
            "token" => Gen.OneOf(world.AliceLinkToken, world.MalloryLinkToken),
            "hash" => Gen.OneOf(world.AliceBlockHash, new string('0', 64), world.AliceBlockHash.ToUpperInvariant()),
            _ => values.Text,
        };
        return FuzzGen.Pick((3, real), (2, values.Text)).Select(v => FuzzValues.Escape(v).Replace("%00", "", StringComparison.Ordinal));
    }

    private static Gen<FuzzRequest> OddRoute(FuzzValues values, FuzzWorld world)
    {
        var segment = values.Text.Select(t => FuzzValues.Escape(t, inPath: true));
        var path = FuzzGen.Pick(
            (3, segment.Select(s => "/" + s)),
            (2, segment.Select(s => "/dav/" + s)),
            (2, Gen.OneOf("/assets/..%2f..%2fappsettings.json", "/assets/%2e%2e/%2e%2e/DropSync.Api.dll", "/assets/js/../../index.html", "/assets/", "/app/%01", "/link/x/y")),
            (1, segment.Select(s => $"/s/{world.AliceLinkToken}/download?path={s}")),
            (1, segment.Select(s => $"/s/{s}/get_blocks")),
            (1, segment.Select(s => $"/blocks/{world.AliceBlockHash}?op=get&u={s}&size=2&exp=99999999999&sig={s}")),
            (1, Gen.OneOf("/notifications/ws?access_token=" + world.Carol.AccessToken, "/notifications/ws?access_token=" + world.AliceRevokedToken, "/notifications/ws?echo=true")),
            (1, Gen.OneOf("//files/list_folder", "/files/list_folder/", "/FILES/LIST_FOLDER", "/files/./list_folder", "/files/list_folder%2F", "/events", "/openapi/v1.json", "/healthz", "/config", "/docs")));
        var body = FuzzGen.Pick((2, Gen.Const<(string?, byte[])>((null, []))), (1, Json(values.Any, values)), (1, Octets()));
        return Gen.Select(Gen.OneOf(Methods), path, body, (m, p, b) => new FuzzRequest("(odd route)", m, p, FuzzCredential.None, "", [], b.Item1, b.Item2));
    }

    /// <summary>A JSON body, now and then broken: truncated, invalid UTF-8, empty, a BOM, or under another content type.</summary>
    private static Gen<(string? ContentType, byte[] Bytes)> Json(Gen<string> json, FuzzValues values)
    {
        var type = FuzzGen.Pick(
            (20, Gen.Const<string?>("application/json")),
            (1, Gen.OneOf<string?>("text/plain", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=\"", null)));
        var bytes = FuzzGen.Pick(
            (20, json.Select(Encoding.UTF8.GetBytes)),
            (1, json.Select(j => Encoding.UTF8.GetBytes(j[..(j.Length / 2)]))),
            (1, json.Select(j => (byte[])[0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(j)])),
            (1, Gen.Const<byte[]>([0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D])),
            (1, Gen.Const<byte[]>([])),
            (1, values.Text.Select(Encoding.UTF8.GetBytes)));
        return Gen.Select(type, bytes, (t, b) => (t, b));
    }

    private static Gen<(string? ContentType, byte[] Bytes)> Octets() =>
        FuzzGen.Pick((8, Gen.Byte.Array[0, 4_096]), (1, Gen.Int[100_000, 5_000_000].Select(n => new byte[n])))
            .Select(b => ((string?)"application/octet-stream", b));

    /// <summary>An upload_batch body: a manifest from its schema, then file parts; sometimes misnamed, misordered or unterminated.</summary>
    private static Gen<(string? ContentType, byte[] Bytes)> Batch(FuzzValues values, JsonObject components)
    {
        var manifest = values.ForSchema(JsonNode.Parse(Manifest), components);
        var name = Gen.OneOf("manifest", "manifest", "manifest", "file", "", "manifest\"; filename=\"x");
        var files = Gen.Byte.Array[0, 600].Array[0, 4];
        var boundary = Gen.OneOf("b0undary", "x", new string('b', 70), "\"quoted\"");
        var end = Gen.OneOf("--\r\n", "--\r\n", "\r\n", "");
        return Gen.Select(manifest, name, files, boundary, end, (m, n, f, b, e) =>
        {
            var plain = b.Trim('"');
            var body = new List<byte>(Encoding.UTF8.GetBytes($"--{plain}\r\nContent-Disposition: form-data; name=\"{n}\"\r\nContent-Type: application/json\r\n\r\n{m}\r\n"));
            foreach (var file in f)
            {
                body.AddRange(Encoding.UTF8.GetBytes($"--{plain}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"));
                body.AddRange(file);
                body.AddRange("\r\n"u8.ToArray());
            }

            body.AddRange(Encoding.UTF8.GetBytes($"--{plain}{e}"));
            return ((string?)$"multipart/form-data; boundary={b}", body.ToArray());
        });
    }
}
