using System.Net;
using System.Text;
using DropSync.Testing;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP listener standing in for API Gateway's @connections endpoint: records every request; answers a POST
/// 200 and a DELETE 204, as API Gateway does
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html),
/// or 410 Gone for the connections named in <see cref="Gone"/>.
/// </summary>
internal sealed class ConnectionsListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<(string Method, string Path, string? Authorization, string? AmzDate, string Body)> _received = [];

    public string BaseUrl { get; private set; } = "";

    /// <summary>Raw paths (as received) that answer 410 Gone.</summary>
    public HashSet<string> Gone { get; } = [];

    public IReadOnlyList<(string Method, string Path, string? Authorization, string? AmzDate, string Body)> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public void Start()
    {
        BaseUrl = $"http://127.0.0.1:{LocalPorts.Free()}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var path = context.Request.RawUrl ?? "";
                lock (_received)
                {
                    _received.Add((context.Request.HttpMethod, path, context.Request.Headers["Authorization"], context.Request.Headers["X-Amz-Date"], body));
                }

                context.Response.StatusCode = Gone.Contains(path) ? 410 : context.Request.HttpMethod == "DELETE" ? 204 : 200;
                context.Response.Close();
            }
        });
    }

    public void Dispose() => _listener.Close();
}
