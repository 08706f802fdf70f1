using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DropSync.Core.Content;

namespace DropSync.Client.Api;

/// <summary>The DropSync HTTP API, one method per endpoint. Thread-safe; share one per account.</summary>
public sealed partial class DropSyncApi : IDisposable
{
    /// <summary>
    /// The wire's JSON: web defaults, snake_case names, nulls left out. It knows the client's own types only
    /// (<see cref="ClientJsonContext"/>, generated code, no reflection).
    /// </summary>
    public static readonly JsonSerializerOptions Json = ClientJsonContext.Default.Options;

    /// <summary>The generated serializer of <typeparamref name="T"/> (one of <see cref="ClientJsonContext"/>'s types).</summary>
    internal static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Json.GetTypeInfo(typeof(T));

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="handler">
    /// Optional transport (tests count bytes with it); defaults to a pooled socket handler. Either way requests the
    /// server refuses for now (429, 503) are sent again after the wait it names (<see cref="RetryAfterHandler"/>).
    /// </param>
    public DropSyncApi(Uri server, string? accessToken, HttpMessageHandler? handler = null)
    {
        Server = server;
#pragma warning disable CA2000 // The HttpClient owns and disposes the handler.
        _http = new HttpClient(new RetryAfterHandler(handler ?? CreateDefaultHandler()), disposeHandler: true)
        {
            BaseAddress = server,
            Timeout = Timeout.InfiniteTimeSpan,
        };
#pragma warning restore CA2000
        _ownsHttp = true;
        _auth = accessToken is null ? null : new AuthenticationHeaderValue("Bearer", accessToken);
        _accessToken = accessToken;
    }

    private readonly string? _accessToken;

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
        await PostAsync<LoginRequest, LoginResult>("/auth/login", new(email, password, deviceName), ct);

    public Task LogoutAsync(CancellationToken ct) => PostAsync<EmptyRequest, JsonElement>("/auth/logout", new(), ct);

    /// <summary>Every entry of a folder: the first page, then the rest of the listing page by page while has_more.</summary>
    public async Task<IReadOnlyList<RemoteEntry>> ListFolderAsync(string path, bool recursive, CancellationToken ct)
    {
        var page = await ListFolderPageAsync(path, recursive, ct);
        var entries = page.Entries.Select(e => e.ToEntry()).ToList();
        while (page.HasMore)
        {
            page = await ContinueAsync(page.Cursor, null, ct);
            entries.AddRange(page.Entries.Where(e => e.Tag != "deleted").Select(e => e.ToEntry()));
        }

        return entries;
    }

    /// <summary>A listing with the cursor to follow its changes from (<see cref="ContinueAsync"/>).</summary>
    public Task<ChangePage> ListFolderPageAsync(string path, bool recursive, CancellationToken ct) =>
        PostAsync<ListFolderRequest, ChangePage>("/files/list_folder", new(path, recursive), ct);

    /// <summary>What changed since a cursor. A <c>409 reset</c> (or <c>invalid_cursor</c>) means: list afresh.</summary>
    public Task<ChangePage> ContinueAsync(string cursor, int? limit, CancellationToken ct) =>
        PostAsync<ContinueRequest, ChangePage>("/files/list_folder/continue", new(cursor, limit), ct);

    /// <summary>
    /// What the server advertises at <c>GET /config</c>, asked once per <see cref="DropSyncApi"/> and kept. A server
    /// without <c>/config</c> (404) gets <see cref="ServerConfig.EmbeddedDefaults"/>. A failure (server unreachable) is
    /// not kept: the next call asks again.
    /// </summary>
    public async Task<ServerConfig> GetConfigAsync(CancellationToken ct)
    {
        if (ConfigOverride is { } fixedConfig)
        {
            return fixedConfig;
        }

        var pending = _config;
        if (pending is null || pending.IsFaulted || pending.IsCanceled)
        {
            var fresh = FetchConfigAsync();
            pending = Interlocked.CompareExchange(ref _config, fresh, pending) == pending ? fresh : _config!;
        }

        return await pending.WaitAsync(ct);
    }

    private Task<ServerConfig>? _config;

    /// <summary>For tests: the configuration to use instead of asking the server (e.g. a download limit an embedded server does not have).</summary>
    internal ServerConfig? ConfigOverride { get; set; }

    private async Task<ServerConfig> FetchConfigAsync()
    {
        var defaults = ServerConfig.EmbeddedDefaults(Server);
        // Not cancelled by one caller's token: the answer is shared by every caller.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/config");
        HttpResponseMessage sent;
        try
        {
            sent = await _http.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            // Our own timeout, not the caller's cancellation: the server is there but does not answer.
            throw new HttpRequestException("The server did not answer GET /config within 30 seconds.", e);
        }

        using var response = sent;
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return defaults;
        }

        try
        {
            return (await ReadAsync<ServerConfig>(response, timeout.Token)).Or(defaults);
        }
        catch (JsonException)
        {
            // A 200 that is not the config (a proxy's page): the server is one without /config behind it.
            return defaults;
        }
    }

    /// <summary>
    /// Opens the live change feed at the <c>websocket_url</c> of <c>/config</c>, the token both in the query string
    /// (<c>?access_token=</c>: API Gateway's <c>$connect</c> sees the query string) and in the Authorization header.
    /// The caller sends <c>{"action":"hello"}</c> at once; the server answers <c>{"type":"hello","cursor"}</c>, then
    /// sends one <c>{"type":"change",...}</c> per change made by another device. <c>{"action":"ping"}</c> gets <c>{"type":"pong"}</c>.
    /// </summary>
    public async Task<ClientWebSocket> ConnectChangesAsync(CancellationToken ct)
    {
        var config = await GetConfigAsync(ct);
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
            if (_accessToken is not null)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + _accessToken);
            }

            await socket.ConnectAsync(config.WebSocketUri(Server, _accessToken), ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task<JsonElement> AddMemberAsync(string path, string email, string role, CancellationToken ct) =>
        PostAsync<MemberRequest, JsonElement>("/sharing/add_member", new(path, email, role), ct);

    public Task<JsonElement> RemoveMemberAsync(string path, string email, CancellationToken ct) =>
        PostAsync<MemberRequest, JsonElement>("/sharing/remove_member", new(path, email, null), ct);

    /// <summary>The invitations waiting for this account, oldest first.</summary>
    public async Task<IReadOnlyList<Invitation>> ListInvitationsAsync(CancellationToken ct) =>
        await ListAllAsync<InvitationsResult, Invitation>("/sharing/list_invitations", p => (p.Entries, p.Cursor, p.HasMore), ct);

    /// <summary>Accepts an invitation: the folder appears at the top of this account's tree (the answer says where).</summary>
    public Task<AcceptedInvitation> AcceptInvitationAsync(string invitationId, CancellationToken ct) =>
        PostAsync<InvitationIdRequest, AcceptedInvitation>("/sharing/accept_invitation", new(invitationId), ct);

    public Task<JsonElement> DeclineInvitationAsync(string invitationId, CancellationToken ct) =>
        PostAsync<InvitationIdRequest, JsonElement>("/sharing/decline_invitation", new(invitationId), ct);

    /// <summary>Removes a folder shared with this user from their tree; the owner and other members keep it.</summary>
    public Task<JsonElement> LeaveAsync(string path, CancellationToken ct) => PostAsync<PathRequest, JsonElement>("/sharing/leave", new(path), ct);

    public Task<SharedLink> CreateLinkAsync(string path, DateTimeOffset? expires, string? password, CancellationToken ct) =>
        PostAsync<CreateLinkRequest, SharedLink>("/sharing/create_link", new(path, expires, password), ct);

    public async Task<IReadOnlyList<DeviceInfo>> ListDevicesAsync(CancellationToken ct) =>
        await ListAllAsync<DevicesResult, DeviceInfo>("/auth/list_devices", p => (p.Devices, p.Cursor, p.HasMore), ct);

    /// <summary>Creates an app password for a WebDAV client (HTTP Basic with the account's e-mail).</summary>
    public Task<AppPasswordCreated> CreateAppPasswordAsync(string name, CancellationToken ct) =>
        PostAsync<NameRequest, AppPasswordCreated>("/auth/create_app_password", new(name), ct);

    public async Task<IReadOnlyList<AppPasswordInfo>> ListAppPasswordsAsync(CancellationToken ct) =>
        await ListAllAsync<AppPasswordsResult, AppPasswordInfo>("/auth/list_app_passwords", p => (p.AppPasswords, p.Cursor, p.HasMore), ct);

    public Task<JsonElement> RevokeAppPasswordAsync(string id, CancellationToken ct) =>
        PostAsync<IdRequest, JsonElement>("/auth/revoke_app_password", new(id), ct);

    public Task<RemoteEntry> GetMetadataAsync(string path, CancellationToken ct) => PostAsync<PathRequest, RemoteEntry>("/files/get_metadata", new(path), ct);

    public async Task<IReadOnlyList<Revision>> ListRevisionsAsync(string path, int limit, CancellationToken ct) =>
        (await PostAsync<PathLimitRequest, RevisionsResult>("/files/list_revisions", new(path, limit), ct)).Entries;

    public Task<RemoteEntry> RestoreAsync(string path, string rev, CancellationToken ct) => PostAsync<PathRevRequest, RemoteEntry>("/files/restore", new(path, rev), ct);

    public Task<RemoteEntry> DeleteAsync(string path, CancellationToken ct) => PostAsync<PathRequest, RemoteEntry>("/files/delete", new(path), ct);

    public Task<RemoteEntry> MoveAsync(string fromPath, string toPath, CancellationToken ct) =>
        PostAsync<MoveRequest, RemoteEntry>("/files/move", new(fromPath, toPath), ct);

    public Task<RemoteEntry> CreateFolderAsync(string path, CancellationToken ct) => PostAsync<PathRequest, RemoteEntry>("/files/create_folder", new(path), ct);

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

    /// <param name="moreBlocks">The blocks are the list's first part: the rest follow by <see cref="AddUploadBlocksAsync"/>.</param>
    public Task<UploadSession> BeginUploadAsync(
        string path, long size, IReadOnlyList<BlockSpec> blocks, string mode, string? rev, CancellationToken ct, bool moreBlocks = false, bool blockListHash = false) =>
        PostAsync<BeginUploadRequest, UploadSession>(
            "/files/upload?uploadType=resumable",
            new(path, size, blocks, mode, rev, moreBlocks ? true : null, blockListHash ? ContentHash.BlockListKindName : null),
            ct);

    /// <summary>Adds the next part of an upload's block list (safe to retry: a part already added changes nothing).</summary>
    public Task<UploadSession> AddUploadBlocksAsync(string uploadId, int index, IReadOnlyList<BlockSpec> blocks, CancellationToken ct) =>
        PostAsync<AddUploadBlocksRequest, UploadSession>("/files/upload/blocks", new(uploadId, index, blocks), ct);

    public async Task<UploadSession> ResumeUploadAsync(string uploadId, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, $"/files/upload?uploadType=resumable&upload_id={Uri.EscapeDataString(uploadId)}", null);
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync<UploadSession>(response, ct);
    }

    public Task<RemoteEntry> FinishUploadAsync(string uploadId, CancellationToken ct) =>
        PostAsync<UploadIdRequest, RemoteEntry>("/files/upload/finish", new(uploadId), ct);

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
        if (response.StatusCode == System.Net.HttpStatusCode.PreconditionFailed && block.Headers?.ContainsKey("If-None-Match") == true)
        {
            // The URL is a conditional write (If-None-Match: *) of a content-named key: 412 means the block is already there.
            return;
        }

        await EnsureSuccessAsync(response, ct);
    }

    /// <summary>One page of a file's blocks from block <paramref name="start"/> (the server sizes the page).</summary>
    public Task<BlockList> GetBlocksAsync(string path, string? rev, int start, CancellationToken ct) => PostAsync<GetBlocksRequest, BlockList>("/files/get_blocks", new(path, rev, start), ct);

    /// <summary>At most <paramref name="limit"/> of a file's blocks from block <paramref name="start"/>, with their runs cut from there.</summary>
    public Task<BlockList> GetBlocksAsync(string path, string? rev, int start, int limit, CancellationToken ct) => PostAsync<GetBlocksRequest, BlockList>("/files/get_blocks", new(path, rev, start, limit), ct);

    /// <summary>
    /// Reads a block's body straight into <paramref name="into"/> (a pooled buffer of the block's size: no array per
    /// block, no copy). Returns how many bytes came; a body longer than the buffer counts as one more byte than it holds.
    /// </summary>
    public async Task<int> GetBlockAsync(BlockDownload block, Memory<byte> into, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, block.Url);
        using var response = await SendUnauthenticatedAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var total = 0;
        while (total < into.Length)
        {
            var n = await body.ReadAsync(into[total..], ct);
            if (n == 0)
            {
                return total;
            }

            total += n;
        }

        var probe = new byte[1];
        return await body.ReadAsync(probe, ct) == 0 ? total : total + 1;
    }

    /// <summary>Opens a run's body (its blocks' bytes back to back, <see cref="BlockRun.Size"/> in all) for <paramref name="read"/>.</summary>
    public async Task ReadBlockRunAsync(BlockRun run, Func<Stream, CancellationToken, Task> read, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(read);
        using var request = new HttpRequestMessage(HttpMethod.Get, run.Url);
        using var response = await SendUnauthenticatedAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await read(body, ct);
    }

    /// <summary>Streams a file's content (from <paramref name="from"/> on, with a Range request) into <paramref name="destination"/>.</summary>
    public async Task DownloadAsync(string path, string? rev, long from, Stream destination, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, "/files/download", JsonContent.Create(new PathRevRequest(path, rev), Info<PathRevRequest>()));
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

    private async Task<T> PostAsync<TBody, T>(string url, TBody body, CancellationToken ct)
    {
        using var request = Authorized(HttpMethod.Post, url, JsonContent.Create(body, Info<TBody>()));
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync<T>(response, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync(Info<T>(), ct)
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
}
