using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.AuthorizationMatrix;

/// <summary>The status each kind of caller must get: every column is a required argument, so no cell can be left out.</summary>
public sealed record Statuses(int Owner, int Editor, int Viewer, int Stranger, int Revoked, int Expired, int Anonymous)
{
    public int For(MatrixCaller caller) => caller switch
    {
        MatrixCaller.Owner => Owner,
        MatrixCaller.Editor => Editor,
        MatrixCaller.Viewer => Viewer,
        MatrixCaller.Stranger => Stranger,
        MatrixCaller.Revoked => Revoked,
        MatrixCaller.Expired => Expired,
        MatrixCaller.Anonymous => Anonymous,
        _ => throw new ArgumentOutOfRangeException(nameof(caller)),
    };
}

/// <summary>
/// What a row sends besides the method and path, which come from the OpenAPI document (route values fill its
/// template). <see cref="Body"/> makes the content (called once per request, as content cannot be sent twice).
/// </summary>
public sealed record MatrixRequest
{
    public IReadOnlyDictionary<string, string> Route { get; init; } = new Dictionary<string, string>();

    public string Query { get; init; } = "";

    public Func<HttpContent?> Body { get; init; } = () => null;

    public static MatrixRequest None { get; } = new();

    public static MatrixRequest Json(object body) => new() { Body = () => System.Net.Http.Json.JsonContent.Create(body) };

    public static HttpContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}

/// <summary>
/// One operation of the OpenAPI document (by operationId) × every caller.
/// <para><see cref="Outcome"/> reads the status the caller was told when it is not the HTTP status (a batch answers 200
/// with one status per file). <see cref="MayChangeOwnerState"/>: the callers whose success may change Alice's files,
/// members, links or devices (everyone else must leave them exactly as they were). <see cref="UrlIsTheCredential"/>:
/// shared-link and signed block URLs show Alice's content to whoever holds them, by design.</para>
/// </summary>
public sealed record MatrixRow(string OperationId, Statuses Expected, Func<MatrixWorld, MatrixRequest> Request)
{
    public static readonly IReadOnlySet<MatrixCaller> OwnerAndEditor = new HashSet<MatrixCaller> { MatrixCaller.Owner, MatrixCaller.Editor };

    public Func<int, JsonNode, int> Outcome { get; init; } = (status, _) => status;

    public IReadOnlySet<MatrixCaller> MayChangeOwnerState { get; init; } = OwnerAndEditor;

    public bool UrlIsTheCredential { get; init; }
}

/// <summary>
/// A request outside the OpenAPI document's operations: a route the document does not describe (<see cref="VariantOf"/>
/// null: the runner checks the document indeed lacks it), or another form of a documented operation (its operationId).
/// </summary>
public sealed record ExtraRow(string Name, string Why, HttpMethod Method, Func<MatrixWorld, string> Url, Statuses Expected)
{
    public string? VariantOf { get; init; }

    public Func<MatrixWorld, HttpContent?> Body { get; init; } = _ => null;
}
