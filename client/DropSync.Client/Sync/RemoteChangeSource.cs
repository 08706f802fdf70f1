using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Core.Errors;
using DropSync.Core.Paths;

namespace DropSync.Client.Sync;

/// <summary>
/// Where the sync engine learns the server's state: a snapshot of every live file and folder (diffed against the index
/// by the engine), and a way to wait until the server may have changed.
/// </summary>
public interface IRemoteChangeSource
{
    /// <summary>Every live file and folder on the server, by path key (NFC + case-folded). <paramref name="index"/> is the sync folder's index, for sources that keep state.</summary>
    Task<IReadOnlyDictionary<string, RemoteEntry>> GetSnapshotAsync(LocalIndex index, CancellationToken ct);

    /// <summary>Completes when the server may have changed (or after <paramref name="atMost"/>).</summary>
    Task WaitForChangeAsync(TimeSpan atMost, CancellationToken ct);

    /// <summary>
    /// The keys the last <see cref="GetSnapshotAsync"/> found changed since the one before it by this source, or null
    /// when it cannot tell (a full listing, a cursor someone else moved): an incremental pass then plans everything.
    /// </summary>
    IReadOnlyCollection<string>? LastChangedKeys => null;

    /// <summary>Called by a watcher while it waits after a full pass: a source that keeps the tree readies it for incremental passes.</summary>
    void PrepareKeyRanges()
    {
    }
}

/// <summary>The simplest source: one full recursive listing per sync; waiting is plain polling.</summary>
public sealed class ListFolderChangeSource(DropSyncApi api) : IRemoteChangeSource
{
    public async Task<IReadOnlyDictionary<string, RemoteEntry>> GetSnapshotAsync(LocalIndex index, CancellationToken ct)
    {
        var entries = await api.ListFolderAsync("", recursive: true, ct);
        var map = new Dictionary<string, RemoteEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Tag is "file" or "folder" && e.Path is not ("" or "/"))
            {
                map[DropPath.Parse(e.Path, allowRoot: false).Key] = e;
            }
        }

        return map;
    }

    public Task WaitForChangeAsync(TimeSpan atMost, CancellationToken ct) => Task.Delay(atMost, ct);
}

/// <summary>
/// The cursor source. The index keeps the server's tree and the cursor it is current to; a sync asks
/// <c>/files/list_folder/continue</c> for what changed since (paging on <c>has_more</c>) and applies the entries in order
/// (a delete removes everything below the path; a move is the delete of the old path then the new entry, which the
/// engine replays locally as a rename when the content hash matches). With no cursor, or when the server answers
/// <c>reset</c> (its journal was compacted past the cursor) or refuses the cursor, it lists the tree afresh.
/// Waiting listens on the live WebSocket feed: each change event by another device wakes the waiter (debounced);
/// after any disconnect it reconnects with backoff, and every (re)connect wakes the waiter so the sync catches up by
/// cursor on whatever it missed.
/// </summary>
public sealed class CursorChangeSource(DropSyncApi api) : IRemoteChangeSource, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _live;
    private int _fullListings, _continues, _events, _hellos, _pings;

    /// <summary>How long after a change event to wait for more before waking (a burst of saves is one sync).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often to send <c>{"action":"ping"}</c> on the live feed (API Gateway closes a WebSocket idle for 10 minutes).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest wait between reconnect attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Entries per continue page (the server's default when null).</summary>
    public int? PageSize { get; set; }

    /// <summary>How many changes a listing gathers before storing them in the index (<see cref="ListingPages.StoreEvery"/>).</summary>
    public int StoreEvery { get; set; } = ListingPages.StoreEvery;

    /// <summary>Notes on the live connection (connected, lost, ...).</summary>
    public Action<string>? Log { get; init; }

    public int FullListings => Volatile.Read(ref _fullListings);

    public int Continues => Volatile.Read(ref _continues);

    /// <summary>Change events received on the live feed.</summary>
    public int Events => Volatile.Read(ref _events);

    /// <summary>Hello messages received on the live feed (each is a (re)connect).</summary>
    public int Hellos => Volatile.Read(ref _hellos);

    /// <summary>Keep-alive pings sent on the live feed.</summary>
    public int Pings => Volatile.Read(ref _pings);

    /// <summary>Whether the live feed is connected now.</summary>
    public bool Connected { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyCollection<string>? LastChangedKeys { get; private set; }

    // The tree as of _treeCursor, kept between syncs of a watcher so that a sync reads only the delta (not the stored
    // tree). Trusted only while the index still holds that cursor: a `dropsync status` moves it, then it is read again.
    private RemoteTree? _tree;
    private string? _treeCursor;
    private string? _treeIndex;

    /// <inheritdoc/>
    public void PrepareKeyRanges() => _tree?.PrepareKeyRanges();

    public async Task<IReadOnlyDictionary<string, RemoteEntry>> GetSnapshotAsync(LocalIndex index, CancellationToken ct)
    {
        LastChangedKeys = null;
        if (index.GetSetting(LocalIndex.RemoteCursorSetting) is { Length: > 0 } cursor)
        {
            var cached = _tree is not null && _treeCursor == cursor && _treeIndex == index.Location;
            // The first page is asked for while the stored tree is read (a one-shot sync reads all of it).
            var firstPage = api.ContinueAsync(cursor, PageSize, ct);
            Interlocked.Increment(ref _continues);
            RemoteTree tree;
            try
            {
                tree = cached ? _tree! : index.LoadRemote();
            }
            catch
            {
                await ((Task)firstPage).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }

            // Mutated below: forgotten until the listing's last cursor is stored with it, so a failed page never leaves it
            // half-applied here (the index has every page before it, with that page's cursor).
            _tree = null;
            var changed = new Dictionary<string, RemoteEntry?>(StringComparer.Ordinal);
            try
            {
                cursor = await FollowAndStorePagesAsync(firstPage, tree, changed, index, replace: false, ct);
            }
            catch (DropSyncApiException e) when (IsReset(e))
            {
                Log?.Invoke($"the server asked for a fresh listing ({e.Code})");
                return await ListAfreshAsync(index, ct);
            }

            (_tree, _treeCursor, _treeIndex) = (tree, cursor, index.Location);
            LastChangedKeys = cached ? changed.Keys : null;
            return tree;
        }

        return await ListAfreshAsync(index, ct);
    }

    private static bool IsReset(DropSyncApiException e) =>
        e.Code is ErrorCodes.Reset or ErrorCodes.InvalidCursor || (e.Status == HttpStatusCode.Conflict && e.Code == ErrorCodes.Reset);

    private async Task<IReadOnlyDictionary<string, RemoteEntry>> ListAfreshAsync(LocalIndex index, CancellationToken ct)
    {
        Interlocked.Increment(ref _fullListings);
        _tree = null;
        var tree = new RemoteTree();
        var cursor = await FollowAndStorePagesAsync(api.ListFolderPageAsync("", recursive: true, ct), tree, null, index, replace: true, ct);
        (_tree, _treeCursor, _treeIndex) = (tree, cursor, index.Location);
        return tree;
    }

    /// <summary>Follows a listing from <paramref name="first"/>, storing each page in <paramref name="index"/> as it goes (<see cref="ListingPages.FollowAndStoreAsync"/>).</summary>
    private Task<string> FollowAndStorePagesAsync(
        Task<ChangePage> first, RemoteTree tree, Dictionary<string, RemoteEntry?>? changed, LocalIndex index, bool replace, CancellationToken ct) =>
        ListingPages.FollowAndStoreAsync(
            first,
            cursor =>
            {
                Interlocked.Increment(ref _continues);
                return api.ContinueAsync(cursor, PageSize, ct);
            },
            tree,
            changed,
            replace,
            (changes, cursor, clear) => index.SaveRemote(changes, cursor, clear),
            StoreEvery);

    public async Task WaitForChangeAsync(TimeSpan atMost, CancellationToken ct)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _live ??= Task.Run(() => LiveAsync(_stop.Token), CancellationToken.None);
            changed = _changed;
        }

        try
        {
            await changed.Task.WaitAsync(atMost, ct);
            await Task.Delay(Debounce, ct);
        }
        catch (TimeoutException)
        {
            // Nothing pushed: a periodic catch-up all the same.
        }

        lock (_lock)
        {
            if (_changed.Task.IsCompleted)
            {
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private void Wake()
    {
        lock (_lock)
        {
            _changed.TrySetResult();
        }
    }

    private static readonly ReadOnlyMemory<byte> HelloMessage = """{"action":"hello"}"""u8.ToArray();
    private static readonly ReadOnlyMemory<byte> PingMessage = """{"action":"ping"}"""u8.ToArray();

    private async Task LiveAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        var buffer = new byte[16 * 1024];
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var socket = await ConnectAsync(ct);
                // The server answers hello with {"type":"hello","cursor"} (in AWS mode only then: $connect cannot send).
                await socket.SendAsync(HelloMessage, WebSocketMessageType.Text, endOfMessage: true, ct);
                using var connection = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var pinging = PingAsync(socket, connection.Token);
                try
                {
                    await ReceiveAsync(socket, buffer, ct, () => backoff = TimeSpan.FromMilliseconds(250));
                }
                finally
                {
                    await connection.CancelAsync();
                    await pinging;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or JsonException or OperationCanceledException or DropSyncApiException)
            {
                Log?.Invoke($"live change feed unavailable ({e.Message}); retrying in {backoff.TotalSeconds:0.#} s");
            }
            finally
            {
                Connected = false;
            }

            try
            {
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100)), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>Reads the feed until the server closes it (API Gateway does after 10 idle minutes, and after 2 hours).</summary>
    private async Task ReceiveAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct, Action onHello)
    {
        var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var received = await socket.ReceiveAsync(buffer, ct);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                Log?.Invoke($"the live change feed was closed by the server ({received.CloseStatus} {received.CloseStatusDescription})".TrimEnd());
                break;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            var type = TypeOf(message.GetBuffer().AsSpan(0, (int)message.Length));
            message.SetLength(0);
            if (type == "hello")
            {
                // (Re)connected: catch up by cursor on anything missed while away. Every hello does (an embedded server
                // sends one at connect and one for ours): a catch-up by cursor is idempotent.
                Interlocked.Increment(ref _hellos);
                Connected = true;
                onHello();
                Log?.Invoke("connected to the live change feed");
                Wake();
            }
            else if (type == "change")
            {
                Interlocked.Increment(ref _events);
                Wake();
            }

            // "pong" (the answer to our keep-alive) and anything newer need nothing.
        }
    }

    /// <summary>Sends {"action":"ping"} every <see cref="PingInterval"/>, so API Gateway does not cut the socket as idle.</summary>
    private async Task PingAsync(ClientWebSocket socket, CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(PingInterval);
            while (await timer.WaitForNextTickAsync(ct) && socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(PingMessage, WebSocketMessageType.Text, endOfMessage: true, ct);
                Interlocked.Increment(ref _pings);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection ended; the receive loop reconnects.
        }
    }

    private async Task<ClientWebSocket> ConnectAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        return await api.ConnectChangesAsync(timeout.Token);
    }

    private static string? TypeOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var doc = JsonDocument.ParseValue(ref reader);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_live is not null)
        {
            await _live.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
