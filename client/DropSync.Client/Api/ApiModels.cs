using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DropSync.Client.Api;

/// <summary>A file or folder as the server describes it (<c>tag</c> is "file", "folder" or "deleted").</summary>
public sealed record RemoteEntry(
    string Tag, string Path, string Name, string? Rev, long? Size, string? ContentHash, DateTimeOffset? ServerModified, string? DeviceId)
{
    [JsonIgnore] public bool IsFile => Tag == "file";
    [JsonIgnore] public bool IsFolder => Tag == "folder";
}

public sealed record BlockSpec(string Hash, int Size);

public sealed record MissingBlock(string Hash, string Url, IReadOnlyDictionary<string, string>? Headers);

/// <summary>
/// A resumable upload: URLs for a page of the missing blocks, and how many more are missing after it (ask again for those).
/// <see cref="Runs"/>, when the server gives them (embedded mode), cover <see cref="Missing"/> in consecutive runs of one PUT each.
/// </summary>
public sealed record UploadSession(string UploadId, IReadOnlyList<MissingBlock> Missing, DateTimeOffset ExpiresAt, int MoreMissing = 0, IReadOnlyList<UploadRun>? Runs = null);

/// <summary>Blocks <see cref="First"/> to <see cref="First"/> + <see cref="Count"/> - 1 of an upload's missing list in one PUT of <see cref="Url"/>, their bytes back to back.</summary>
public sealed record UploadRun(int First, int Count, long Size, string Url, IReadOnlyDictionary<string, string>? Headers);

public sealed record BlockDownload(string Hash, int Size, long Offset, string Url);

/// <summary>
/// A page of a file's blocks; <see cref="NextStart"/> (when <see cref="HasMore"/>) is where the next page starts.
/// <see cref="Runs"/>, when the server gives them (embedded mode), cover the page's blocks in consecutive runs of one GET each.
/// </summary>
public sealed record BlockList(RemoteEntry Metadata, IReadOnlyList<BlockDownload> Blocks, bool HasMore = false, int? NextStart = null, int Start = 0, IReadOnlyList<BlockRun>? Runs = null);

/// <summary>Blocks <see cref="First"/> to <see cref="First"/> + <see cref="Count"/> - 1 of the file in one GET of <see cref="Url"/>, their bytes back to back.</summary>
public sealed record BlockRun(int First, int Count, long Offset, long Size, string Url);

public sealed record Revision(string Rev, string Path, long Size, string ContentHash, DateTimeOffset ServerModified, string? DeviceId);

public sealed record LoginResult(string AccessToken, string DeviceId, string? UserId, string? DeviceName);

/// <summary>One entry of a change feed page: the entry's state now (tag "file", "folder" or "deleted") and what happened.</summary>
public sealed record RemoteChange(
    string Tag, string Path, string Name, string? Rev, long? Size, string? ContentHash, DateTimeOffset? ServerModified, string? DeviceId,
    string? Change, string? FromPath)
{
    public RemoteEntry ToEntry() => new(Tag, Path, Name, Rev, Size, ContentHash, ServerModified, DeviceId);
}

/// <summary>A page of <c>list_folder</c> or <c>list_folder/continue</c>: entries in order, the cursor after them, and whether more follow.</summary>
public sealed record ChangePage(IReadOnlyList<RemoteChange> Entries, string Cursor, bool HasMore);

/// <summary>One file of a batched upload.</summary>
public sealed record BatchFile(string Path, string Mode, string? Rev, ReadOnlyMemory<byte> Content);

/// <summary>What became of one file of a batch: <see cref="Metadata"/>, or <see cref="Error"/> (the error body a single upload would have had).</summary>
public sealed record BatchFileResult(int Index, string? Path, int Status, RemoteEntry? Metadata, JsonElement? Error)
{
    public DropSyncApiException ToException() => ErrorOf(Status, Error);

    /// <summary>A batch entry's error body as the exception a single request would have thrown.</summary>
    internal static DropSyncApiException ErrorOf(int status, JsonElement? error)
    {
        var body = error ?? default;
        var code = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var c) ? c.GetString() ?? "error" : "error";
        var message = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("message", out var m) ? m.GetString() ?? code : code;
        return new DropSyncApiException((HttpStatusCode)status, code, message, body);
    }
}

/// <summary>One file of <c>/files/download_batch</c>: status 200 with <see cref="Metadata"/> and <see cref="Content"/>, or <see cref="Error"/>.</summary>
public sealed record BatchDownloadResult(int Index, string? Path, int Status, RemoteEntry? Metadata, byte[]? Content, JsonElement? Error)
{
    public DropSyncApiException ToException() => BatchFileResult.ErrorOf(Status, Error);
}

public sealed record SharedLink(string LinkId, string Url, string? Path, DateTimeOffset? ExpiresAt, bool HasPassword, DateTimeOffset? CreatedAt)
{
    /// <summary>The page to open in a browser (the web app's <c>/link/…</c>); <see cref="Url"/> is the link's JSON and download API. Null from servers before it.</summary>
    public string? WebUrl { get; init; }
}

/// <summary>One signed-in (or signed-out) device of the account, from <c>/auth/list_devices</c>.</summary>
public sealed record DeviceInfo(string DeviceId, string Name, DateTimeOffset? CreatedAt, DateTimeOffset? RevokedAt, bool Current);

/// <summary>An error answer from the server: <c>{"error": code, "message": ...}</c> plus any extra fields.</summary>
public sealed class DropSyncApiException(HttpStatusCode status, string code, string message, JsonElement body)
    : Exception($"{message} ({code}, HTTP {(int)status})")
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
    public string ServerMessage { get; } = message;
    public JsonElement Body { get; } = body;
}
