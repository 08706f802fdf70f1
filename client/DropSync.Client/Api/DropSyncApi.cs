using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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

public sealed record UploadSession(string UploadId, IReadOnlyList<MissingBlock> Missing, DateTimeOffset ExpiresAt);

public sealed record BlockDownload(string Hash, int Size, long Offset, string Url);

public sealed record BlockList(RemoteEntry Metadata, IReadOnlyList<BlockDownload> Blocks);

public sealed record Revision(string Rev, string Path, long Size, string ContentHash, DateTimeOffset ServerModified, string? DeviceId);

public sealed record LoginResult(string AccessToken, string DeviceId, string? UserId, string? DeviceName);

/// <summary>An error answer from the server: <c>{"error": code, "message": ...}</c> plus any extra fields.</summary>
public sealed class DropSyncApiException(HttpStatusCode status, string code, string message, JsonElement body)
    : Exception($"{message} ({code}, HTTP {(int)status})")
{
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
    public string ServerMessage { get; } = message;
    public JsonElement Body { get; } = body;
}

/// <summary>The DropSync HTTP API, one method per endpoint. Thread-safe; share one per account.</summary>
public sealed class DropSyncApi : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="handler">Optional transport (tests count bytes with it); defaults to a pooled socket handler.</param>
    public DropSyncApi(Uri server, string? accessToken, HttpMessageHandler? handler = null)
    {
        Server = server;
#pragma warning disable CA2000 // The HttpClient owns and disposes the handler.
        _http = new HttpClient(handler ?? CreateDefaultHandler(), disposeHandler: true)
        {
            BaseAddress = server,
            Timeout = Timeout.InfiniteTimeSpan,
        };
#pragma warning restore CA2000
        _ownsHttp = true;
        _auth = accessToken is null ? null : new AuthenticationHeaderValue("Bearer", accessToken);
    }

    private readonly AuthenticationHeaderValue? _auth;

    private HttpRequestMessage Authorized(HttpMethod method, string url, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = _auth;
        return request;
    }

    public Uri Server { get; }

    public static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        MaxConnectionsPerServer = 64,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    public async Task<LoginResult> LoginAsync(string email, string password, string deviceName, CancellationToken ct) =>
        await PostAsync<LoginResult>("/auth/login", new { email, password, device_name = deviceName }, ct);

    public Task LogoutAsync(CancellationToken ct) => PostAsync<JsonElement>("/auth/logout", new { }, ct);

    public async Task<IReadOnlyList<RemoteEntry>> ListFolderAsync(string path, bool recursive, CancellationToken ct)
    {
        var result = await PostAsync<ListResult>("/files/list_folder", new { path, recursive }, ct);
        return result.Entries;
    }

    public Task<RemoteEntry> GetMetadataAsync(string path, CancellationToken ct) => PostAsync<RemoteEntry>("/files/get_metadata", new { path }, ct);

    public async Task<IReadOnlyList<Revision>> ListRevisionsAsync(string path, int limit, CancellationToken ct) =>
        (await PostAsync<RevisionsResult>("/files/list_revisions", new { path, limit }, ct)).Entries;

    public Task<RemoteEntry> RestoreAsync(string path, string rev, CancellationToken ct) => PostAsync<RemoteEntry>("/files/restore", new { path, rev }, ct);

    public Task<RemoteEntry> DeleteAsync(string path, CancellationToken ct) => PostAsync<RemoteEntry>("/files/delete", new { path }, ct);

    public Task<RemoteEntry> MoveAsync(string fromPath, string toPath, CancellationToken ct) =>
        PostAsync<RemoteEntry>("/files/move", new { from_path = fromPath, to_path = toPath }, ct);

    public Task<RemoteEntry> CreateFolderAsync(string path, CancellationToken ct) => PostAsync<RemoteEntry>("/files/create_folder", new { path }, ct);

    /// <summary>Whole-body upload (one round trip; for small files).</summary>
    public async Task<RemoteEntry> UploadMediaAsync(string path, string mode, string? rev, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var url = $"/files/upload?uploadType=media&path={Uri.EscapeDataString(path)}&mode={mode}"
            + (rev is null ? "" : $"&rev={Uri.EscapeDataString(rev)}");
        var body = new ReadOnlyMemoryContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var request = Authorized(HttpMethod.Post, url, body);
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync<RemoteEntry>(response, ct);
    }

    public Task<UploadSession> BeginUploadAsync(string path, long size, IReadOnlyList<BlockSpec> blocks, string mode, string? rev, CancellationToken ct) =>
        PostAsync<UploadSession>("/files/upload?uploadType=resumable", new { path, size, blocks, mode, rev }, ct);

    public async Task<UploadSession> ResumeUploadAsync(string uploadId, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, $"/files/upload?uploadType=resumable&upload_id={Uri.EscapeDataString(uploadId)}", null);
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync<UploadSession>(response, ct);
    }

    public Task<RemoteEntry> FinishUploadAsync(string uploadId, CancellationToken ct) =>
        PostAsync<RemoteEntry>("/files/upload/finish", new { upload_id = uploadId }, ct);

    /// <summary>PUTs one block to its signed URL (no bearer token: the URL is the authority).</summary>
    public async Task PutBlockAsync(MissingBlock block, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, block.Url) { Content = new ReadOnlyMemoryContent(bytes) };
        foreach (var (name, value) in block.Headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await SendUnauthenticatedAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }

    public Task<BlockList> GetBlocksAsync(string path, string? rev, CancellationToken ct) => PostAsync<BlockList>("/files/get_blocks", new { path, rev }, ct);

    public async Task<byte[]> GetBlockAsync(BlockDownload block, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, block.Url);
        using var response = await SendUnauthenticatedAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    /// <summary>Streams a file's content (from <paramref name="from"/> on, with a Range request) into <paramref name="destination"/>.</summary>
    public async Task DownloadAsync(string path, string? rev, long from, Stream destination, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, "/files/download", JsonContent.Create(new { path, rev }, options: Json));
        if (from > 0)
        {
            request.Headers.Range = new RangeHeaderValue(from, null);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureSuccessAsync(response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await body.CopyToAsync(destination, 1024 * 1024, ct);
    }

    /// <summary>Signed block URLs carry their own authority: no bearer token goes with them.</summary>
    private Task<HttpResponseMessage> SendUnauthenticatedAsync(HttpRequestMessage request, CancellationToken ct) =>
        _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

    private async Task<T> PostAsync<T>(string url, object body, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, url, JsonContent.Create(body, options: Json));
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync<T>(response, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct)
            ?? throw new InvalidDataException($"The server answered {response.RequestMessage?.RequestUri?.AbsolutePath} with an empty body.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct);
        JsonElement body = default;
        string code = "http_" + (int)response.StatusCode, message = text.Length > 0 ? text : response.ReasonPhrase ?? "request failed";
        try
        {
            body = JsonDocument.Parse(text.Length > 0 ? text : "{}").RootElement.Clone();
            if (body.ValueKind == JsonValueKind.Object)
            {
                if (body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
                {
                    code = e.GetString()!;
                }

                if (body.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString()!;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): keep the text.
        }

        throw new DropSyncApiException(response.StatusCode, code, message, body);
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private sealed record ListResult(IReadOnlyList<RemoteEntry> Entries, bool HasMore);

    private sealed record RevisionsResult(IReadOnlyList<Revision> Entries);
}
