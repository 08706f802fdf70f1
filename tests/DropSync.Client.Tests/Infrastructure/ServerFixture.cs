using System.Net.Http.Json;
using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Testing;

namespace DropSync.Client.Tests.Infrastructure;

/// <summary>One real server process for the end-to-end tests; each test signs up its own account.</summary>
public class ServerFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dropsync-client-server-").FullName;

    public ServerProcess Server { get; private set; } = null!;

    /// <summary>
    /// Every test account signs up and signs in from 127.0.0.1, so the per-address limits on registrations and sign-ins
    /// (docs/security.md: 200 an hour, 120 a minute) are raised for the test server: a larger randomized run
    /// (<c>DROPSYNC_SYNC_RUNS=200</c>, two to four accounts and devices a run) was refused its 201st account.
    /// </summary>
    private static readonly string[] OneAddressForEveryone =
    [
        "--DropSync:RateLimits:RegistrationsPerAddressPerHour", "1000000", "--DropSync:RateLimits:LoginsPerAddressPerMinute", "1000000",
    ];

    /// <summary>Settings the server starts with beyond the defaults (command-line form; they win over the ones above).</summary>
    protected virtual string[] ServerSettings => [];

    public async Task InitializeAsync() =>
        Server = await ServerProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "keys"), [.. OneAddressForEveryone, .. ServerSettings]);

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A new account; answers its email (the password is <see cref="Password"/>).</summary>
    public async Task<string> NewAccountAsync()
    {
        var email = $"u{Guid.NewGuid():N}@example.com";
        using var http = Server.CreateClient();
        (await http.PostAsJsonAsync("/auth/register", new { email, password = Password })).EnsureSuccessStatusCode();
        return email;
    }

    public const string Password = "correct horse battery staple";

    /// <summary>Two devices (laptop and desktop) of one new account.</summary>
    public async Task<(Device A, Device B)> TwoDevicesAsync()
    {
        var email = await NewAccountAsync();
        return (await DeviceAsync(email, "laptop"), await DeviceAsync(email, "desktop"));
    }

    public async Task<Device> DeviceAsync(string email, string name)
    {
        var counter = new CountingHandler();
        using var anonymous = new DropSyncApi(Server.BaseAddress, null);
        var login = await anonymous.LoginAsync(email, Password, name, default);
        return new Device(name, new DropSyncApi(Server.BaseAddress, login.AccessToken, counter), counter);
    }
}

[CollectionDefinition("server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

/// <summary>One device: its own folder, token and HTTP byte counter.</summary>
public sealed class Device : IDisposable
{
    public Device(string name, DropSyncApi api, CountingHandler counter)
    {
        Name = name;
        Api = api;
        Counter = counter;
        Folder = Directory.CreateTempSubdirectory($"dropsync-{name}-").FullName;
        Source = new CursorChangeSource(api) { Debounce = TimeSpan.FromMilliseconds(50) };
        Engine = new SyncEngine(api, Folder, Source, name);
    }

    /// <summary>The cursor + live-feed change source the engine uses.</summary>
    public CursorChangeSource Source { get; }

    public string Name { get; }
    public DropSyncApi Api { get; }
    public CountingHandler Counter { get; }
    public string Folder { get; }
    public SyncEngine Engine { get; }

    public Task<SyncReport> SyncAsync(bool force = false, SyncDirection direction = SyncDirection.Both, CancellationToken ct = default, int blockParallelism = 6, int maxBlockTransfers = 16) =>
        Engine.SyncAsync(new SyncOptions { Force = force, Direction = direction, BlockParallelism = blockParallelism, MaxBlockTransfers = maxBlockTransfers }, ct);

    public string PathOf(string rel) => Path.Combine(Folder, rel.Replace('/', Path.DirectorySeparatorChar));

    public void Write(string rel, string text) => Write(rel, System.Text.Encoding.UTF8.GetBytes(text));

    public void Write(string rel, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(rel))!);
        File.WriteAllBytes(PathOf(rel), bytes);
        // A distinct mtime even on coarse file systems and within one test's fast edits.
        File.SetLastWriteTimeUtc(PathOf(rel), DateTime.UtcNow.AddSeconds(Random.Shared.Next(1, 100_000)));
    }

    public string Read(string rel) => File.ReadAllText(PathOf(rel));

    public bool Exists(string rel) => File.Exists(PathOf(rel));

    /// <summary>Every file below the folder (not the state folder), relative, '/'-separated, sorted.</summary>
    public List<string> Files() =>
        Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".dropsync/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    public void Dispose()
    {
        Source.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Api.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Counts the bytes of block PUTs/GETs and whole uploads/downloads, and can cancel after N block transfers.</summary>
public sealed class CountingHandler() : DelegatingHandler(DropSyncApi.CreateDefaultHandler())
{
    private long _sent, _received;
    private int _blockTransfers;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    /// <summary>How many requests went to this path (e.g. "/files/list_folder") since the last <see cref="Reset"/>.</summary>
    public int Requests(string path) => _requests.TryGetValue(path, out var n) ? n : 0;

    /// <summary>Block GETs sent since the last <see cref="Reset"/> (each block has its own path).</summary>
    public int BlockGets => Volatile.Read(ref _blockGets);

    private int _blockGets;

    /// <summary>The most block requests (<c>/blocks/…</c>, PUT or GET, until their answer's headers) in flight at once since the last <see cref="Reset"/>.</summary>
    public int MostBlockRequestsAtOnce => Volatile.Read(ref _mostBlockRequests);

    private int _blockRequests, _mostBlockRequests;

    /// <summary>Answers to this path the server refused for now (429, 503), each sent again by the client.</summary>
    public int Refused(string path) => _refused.TryGetValue(path, out var n) ? n : 0;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _refused = new(StringComparer.Ordinal);

    /// <summary>Answer the next this-many <c>list_folder/continue</c> calls with 409 reset, as a server whose journal was compacted.</summary>
    public int ResetContinues { get; set; }

    /// <summary>When set, let this many more <c>list_folder/continue</c> calls through, then fail the next one as a lost connection (once).</summary>
    public int? ContinuesBeforeLostConnection { get; set; }

    public long Sent => Interlocked.Read(ref _sent);
    public long Received => Interlocked.Read(ref _received);

    /// <summary>The largest request body sent to this path (e.g. "/files/upload_batch") since the last <see cref="Reset"/>.</summary>
    public long LargestRequest(string path) => _largest.TryGetValue(path, out var n) ? n : 0;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _largest = new(StringComparer.Ordinal);

    /// <summary>Flip a bit in every block that comes down, as a damaged store or network would.</summary>
    public bool CorruptBlockDownloads { get; set; }

    /// <summary>Flip a bit in the next this-many blocks that come down.</summary>
    public int CorruptNextBlockDownloads;

    /// <summary>Answer the next this-many block PUTs with 503 without passing them on, as a dropped or overloaded request.</summary>
    public int FailBlockPuts;

    /// <summary>Answer the next this-many block GETs with 503 without passing them on.</summary>
    public int FailBlockGets;

    /// <summary>Answer as a server from before <c>/config</c> and block lists in parts would: 404 to both.</summary>
    public bool PlayOlderServer { get; set; }

    /// <summary>Called after each block PUT the server took (before the client sees its answer).</summary>
    public Action? AfterBlockPut { get; set; }

    /// <summary>Cancel this source once this many block transfers have completed.</summary>
    public (int After, CancellationTokenSource Source)? CancelAfterBlocks { get; set; }

    /// <summary>
    /// Cancel this source once the client has read this many bytes of block GET bodies (a download cut mid-transfer,
    /// whether its blocks come one per GET or several: a run's response is one GET).
    /// </summary>
    public (long After, CancellationTokenSource Source)? CancelAfterReceivedBytes { get; set; }

    /// <summary>Bytes of block GET bodies the client has read since the last <see cref="Reset"/>.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    private long _delivered;

    /// <summary>Takes one from a count of failures still to inject; false once it is used up.</summary>
    private static bool TakeOne(ref int remaining)
    {
        while (true)
        {
            var seen = Volatile.Read(ref remaining);
            if (seen <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref remaining, seen - 1, seen) == seen)
            {
                return true;
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _delivered, 0);
        Interlocked.Exchange(ref _blockTransfers, 0);
        Interlocked.Exchange(ref _blockGets, 0);
        Interlocked.Exchange(ref _mostBlockRequests, 0);
        _requests.Clear();
        _largest.Clear();
        _refused.Clear();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var isBlock = path.StartsWith("/blocks/", StringComparison.Ordinal);
        var isMedia = (path == "/files/upload" && request.RequestUri.Query.Contains("uploadType=media", StringComparison.Ordinal)) || path == "/files/upload_batch";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (isBlock && request.Method == HttpMethod.Get)
        {
            Interlocked.Increment(ref _blockGets);
        }
        var length = request.Content?.Headers.ContentLength ?? 0;
        _largest.AddOrUpdate(path, length, (_, n) => Math.Max(n, length));
        if (path == "/files/list_folder/continue" && ContinuesBeforeLostConnection is { } left)
        {
            ContinuesBeforeLostConnection = left > 0 ? left - 1 : null;
            if (left == 0)
            {
                throw new HttpRequestException("The connection was lost (a test's).");
            }
        }

        if (path == "/files/list_folder/continue" && ResetContinues > 0)
        {
            ResetContinues--;
            return new HttpResponseMessage(System.Net.HttpStatusCode.Conflict)
            {
                Content = new StringContent("""{"error":"reset","message":"The journal was compacted; list the folder again."}""", System.Text.Encoding.UTF8, "application/json"),
            };
        }

        if (PlayOlderServer && path is "/config" or "/files/upload/blocks")
        {
            return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
        }

        if (isBlock && TakeOne(ref request.Method == HttpMethod.Put ? ref FailBlockPuts : ref FailBlockGets))
        {
            // A 500, not a 503: the transport waits a 503 out itself (RetryAfterHandler); this is a transfer failing.
            return new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError)
            {
                Content = new StringContent("""{"error":"internal_error","message":"Injected by the test."}""", System.Text.Encoding.UTF8, "application/json"),
            };
        }

        HttpResponseMessage response;
        if (isBlock)
        {
            var inFlight = Interlocked.Increment(ref _blockRequests);
            InterlockedMax(ref _mostBlockRequests, inFlight);
            try
            {
                response = await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _blockRequests);
            }
        }
        else
        {
            response = await base.SendAsync(request, cancellationToken);
        }

        if (RetryAfterHandler.IsRefusal(response.StatusCode))
        {
            _refused.AddOrUpdate(path, 1, (_, n) => n + 1);
        }

        if (!response.IsSuccessStatusCode)
        {
            return response;
        }

        if ((isBlock && request.Method == HttpMethod.Put) || isMedia)
        {
            Interlocked.Add(ref _sent, request.Content?.Headers.ContentLength ?? 0);
        }

        if (isBlock && request.Method == HttpMethod.Put)
        {
            AfterBlockPut?.Invoke();
        }

        if ((isBlock && request.Method == HttpMethod.Get) || path == "/files/download")
        {
            Interlocked.Add(ref _received, response.Content.Headers.ContentLength ?? 0);
        }

        if (isBlock && request.Method == HttpMethod.Get && (CorruptBlockDownloads || TakeOne(ref CorruptNextBlockDownloads)))
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            bytes[0] ^= 1;
            var damaged = new ByteArrayContent(bytes);
            damaged.Headers.ContentType = response.Content.Headers.ContentType;
            response.Content.Dispose();
            response.Content = damaged;
        }

        if (isBlock && request.Method == HttpMethod.Get)
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var counted = new StreamContent(new DeliveryCountingStream(body, n =>
            {
                if (Interlocked.Add(ref _delivered, n) >= CancelAfterReceivedBytes?.After)
                {
                    CancelAfterReceivedBytes?.Source.Cancel();
                }
            }));
            foreach (var header in response.Content.Headers)
            {
                counted.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = counted;
        }

        if (isBlock && Interlocked.Increment(ref _blockTransfers) is var n && CancelAfterBlocks is { } c && n >= c.After)
        {
            await c.Source.CancelAsync();
        }

        return response;
    }
}

/// <summary>A response body that reports each read's byte count (what the client has actually received).</summary>
internal sealed class DeliveryCountingStream(Stream inner, Action<int> read) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        read(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        read(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
