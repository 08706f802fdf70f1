using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using DropSync.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// One stage of an Amazon API Gateway WebSocket API, emulated on 127.0.0.1 from AWS's documented contract: clients
/// connect to <see cref="ClientUrl"/> (the real one is <c>wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}</c>)
/// and the routes' Lambda functions are invoked with API Gateway's proxy events ($connect, messages by route selection,
/// $disconnect); backends call the @connections API under <see cref="ManagementEndpoint"/> (what DROPSYNC_WS_ENDPOINT
/// names), signed with SigV4. The stage's limits (frame and message size, idle and total connection time) are enforced
/// with the close codes API Gateway uses.
/// </summary>
public sealed class WebSocketApiEmulator : IAsyncDisposable
{
    private readonly WebSocketApiOptions _options;
    private readonly ConcurrentDictionary<string, ClientConnection> _connections = new(StringComparer.Ordinal);
    private readonly WebSocketClientSide _clientSide;
    private readonly ConnectionsManagementApi _management;
    private readonly Action<string> _log;
    private WebApplication? _app;
    private int _port;

    public WebSocketApiEmulator(WebSocketApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Stage.Length == 0 || options.Stage.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("The stage name must be one path segment.", nameof(options));
        }

        _options = options;
        _log = options.Log is { } log ? message => log("[websocket-api] " + message) : _ => { };
        _clientSide = new WebSocketClientSide(options, _connections, _log);
        _management = new ConnectionsManagementApi(options, _connections, _log);
    }

    /// <summary>Where clients connect: <c>ws://127.0.0.1:{port}/{stage}</c>.</summary>
    public Uri ClientUrl => new(string.Create(CultureInfo.InvariantCulture, $"ws://127.0.0.1:{RequirePort()}/{_options.Stage}"));

    /// <summary>The @connections callback URL: <c>http://127.0.0.1:{port}/{stage}</c>.</summary>
    public Uri ManagementEndpoint => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{RequirePort()}/{_options.Stage}"));

    /// <summary>Connections open right now (a connection leaves as soon as either side starts closing it).</summary>
    public int ConnectionCount => _connections.Values.Count(c => !c.IsClosing);

    /// <summary>The open connections by id.</summary>
    public IReadOnlyDictionary<string, WebSocketConnectionInfo> OpenConnections =>
        _connections.Values.Where(c => !c.IsClosing).ToDictionary(c => c.Id, c => c.Info, StringComparer.Ordinal);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("Already started.");
        }

        // A port free a moment ago may be taken by the time Kestrel binds it when tests run in parallel: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = _options.Port ?? LocalPorts.Free();
            var app = Build(port);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                _app = app;
                _port = port;
                _log($"stage {_options.Stage} of API {_options.ApiId} listening on 127.0.0.1:{port}");
                return;
            }
            catch (IOException e) when (_options.Port is null && attempt < 5 && e.InnerException is SocketException or AddressInUseException)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null)
        {
            return;
        }

        // Stopping the stage ends every connection as API Gateway does when it goes away; their $disconnect still runs.
        await Task.WhenAll(_connections.Values.Select(c => c.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Going away"))).ConfigureAwait(false);
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    private WebApplication Build(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        return app;
    }

    private Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var stagePath = "/" + _options.Stage;
        if (path == stagePath || path == stagePath + "/")
        {
            return _clientSide.HandleUpgradeAsync(context);
        }

        // Kestrel has decoded %40 and %3D here; the signature is checked over the path as it was sent.
        var connectionsPrefix = stagePath + "/@connections/";
        if (path.StartsWith(connectionsPrefix, StringComparison.Ordinal) && path.Length > connectionsPrefix.Length &&
            !path.AsSpan(connectionsPrefix.Length).Contains('/'))
        {
            return _management.HandleAsync(context, path[connectionsPrefix.Length..]);
        }

        return ConnectionsManagementApi.ErrorAsync(context, StatusCodes.Status403Forbidden, "MissingAuthenticationTokenException", "Missing Authentication Token");
    }

    private int RequirePort() => _app is null ? throw new InvalidOperationException("Call StartAsync first.") : _port;
}
