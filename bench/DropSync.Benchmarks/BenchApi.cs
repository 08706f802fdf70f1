using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DropSync.Benchmarks;

/// <summary>
/// The HTTP side: one connection pool, an API client that carries the bearer token and a plain client for the signed
/// block URLs (which need none, like presigned S3 URLs). Long timeouts: a 10 GiB body takes a while.
/// </summary>
internal sealed class BenchApi : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromHours(6);

    private readonly SocketsHttpHandler _handler = new()
    {
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        MaxConnectionsPerServer = 256,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    };

    public BenchApi(Uri baseAddress)
    {
        Api = new HttpClient(_handler, disposeHandler: false) { BaseAddress = baseAddress, Timeout = Timeout };
        Blocks = new HttpClient(_handler, disposeHandler: false) { Timeout = Timeout };
    }

    /// <summary>The API (relative URLs, bearer token once logged in).</summary>
    public HttpClient Api { get; }

    /// <summary>For the absolute, signed block URLs.</summary>
    public HttpClient Blocks { get; }

    public async Task LoginAsync(string email, string password, CancellationToken ct)
    {
        await PostJsonAsync("/auth/register", new { email, password }, "register", ct);
        var login = await PostJsonAsync("/auth/login", new { email, password, device_name = "benchmark" }, "login", ct);
        var token = login["access_token"]?.GetValue<string>() ?? throw new BenchmarkException($"login answered no access_token: {login.ToJsonString()}");
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<JsonNode> PostJsonAsync(string url, object body, string what, CancellationToken ct)
    {
        using var response = await Api.PostAsJsonAsync(new Uri(url, UriKind.Relative), body, ct);
        return await ReadJsonAsync(response, what, ct);
    }

    /// <summary>The body of a 2xx answer as JSON; anything else becomes a <see cref="BenchmarkException"/> quoting the server.</summary>
    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, what, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return JsonNode.Parse(text) ?? throw new BenchmarkException($"{what}: the server answered an empty body");
        }
        catch (JsonException e)
        {
            throw new BenchmarkException($"{what}: the server answered {(int)response.StatusCode} with a body that is not JSON: {Truncate(text)}", e);
        }
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw new BenchmarkException($"{what} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {Truncate(text)}");
        }
    }

    public static string Text(JsonNode node, string property, string what) =>
        node[property]?.GetValue<string>() ?? throw new BenchmarkException($"{what}: the answer has no \"{property}\": {Truncate(node.ToJsonString())}");

    public static long Number(JsonNode node, string property, string what) =>
        node[property]?.GetValue<long>() ?? throw new BenchmarkException($"{what}: the answer has no \"{property}\": {Truncate(node.ToJsonString())}");

    public void Dispose()
    {
        Api.Dispose();
        Blocks.Dispose();
        _handler.Dispose();
    }

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000] + "…";
}
