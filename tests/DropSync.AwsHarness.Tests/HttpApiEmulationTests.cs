using System.Net;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.HttpApi;

namespace DropSync.AwsHarness.Tests;

/// <summary>API Gateway's payload format 2.0 and the adapter's HTTP conversion, end to end, on the stub app.</summary>
[Trait("Category", "AwsHarness")]
public sealed class HttpApiEmulationTests : IAsyncLifetime
{
    private readonly StubApp _stub = new();
    private Lambda.WebAdapterFunction? _function;
    private HttpApiGateway? _gateway;

    public async Task InitializeAsync()
    {
        _function = _stub.Function(TimeSpan.FromSeconds(10));
        // 4 s: the gateway's timeout includes a cold start (as API Gateway's does), and after /crash the next request
        // cold-starts the stub, which took over 2 s on a loaded machine. /slow answers after 8 s, well past it.
        _gateway = new HttpApiGateway(_function, "stubapi123", "000000000000", corsConfiguration: null, integrationTimeout: TimeSpan.FromSeconds(4));
        await _gateway.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _function?.Dispose();
        _stub.Dispose();
    }

    [Fact]
    public async Task Cookies_headers_query_and_a_binary_body_reach_the_app_and_its_cookies_and_headers_come_back()
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = _gateway!.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo/a%20b?x=1&x=2&y=%C3%A9")
        {
            Content = new ByteArrayContent([0, 1, 2, 255]),
        };
        request.Headers.Add("Cookie", "c1=v1; c2=v2");
        request.Headers.Add("X-Multi", ["one", "two"]);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], response.Headers.GetValues("Set-Cookie").ToArray());
        Assert.Equal("yes", response.Headers.GetValues("x-custom").Single());
        var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("POST", echo["method"]!.GetValue<string>());
        Assert.Equal("/echo/a%20b?x=1&x=2&y=%C3%A9", echo["url"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(new byte[] { 0, 1, 2, 255 }), echo["body"]!.GetValue<string>());
        var headers = echo["headers"]!;
        Assert.Equal("c1=v1; c2=v2", headers["cookie"]!.GetValue<string>());
        Assert.Equal("one,two", headers["x-multi"]!.GetValue<string>().Replace(" ", "", StringComparison.Ordinal));
        var context = JsonNode.Parse(headers["x-amzn-request-context"]!.GetValue<string>())!;
        Assert.Equal("stubapi123", context["apiId"]!.GetValue<string>());
        Assert.Equal("POST", context["http"]!["method"]!.GetValue<string>());
        Assert.NotNull(headers["x-amzn-lambda-context"]);
        Assert.NotNull(headers["x-forwarded-for"]);
    }

    [Fact]
    public async Task A_binary_response_is_base64_encoded_by_the_adapter_and_decoded_by_API_Gateway()
    {
        using var client = new HttpClient { BaseAddress = _gateway!.Url };
        Assert.Equal(new byte[] { 0, 255, 1, 254, 128 }, await client.GetByteArrayAsync(new Uri("/binary", UriKind.Relative)));

        var result = await _function!.InvokeAsync(
            new JsonObject
            {
                ["version"] = "2.0",
                ["rawPath"] = "/binary",
                ["rawQueryString"] = "",
                ["headers"] = new JsonObject(),
                ["requestContext"] = new JsonObject { ["http"] = new JsonObject { ["method"] = "GET" } },
                ["isBase64Encoded"] = false,
            }.ToJsonString(),
            CancellationToken.None);
        var payload = JsonNode.Parse(result.Payload!)!;
        Assert.True(payload["isBase64Encoded"]!.GetValue<bool>());
        Assert.Equal(Convert.ToBase64String(new byte[] { 0, 255, 1, 254, 128 }), payload["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_integration_past_its_timeout_is_503_and_a_crashed_function_is_502()
    {
        using var client = new HttpClient { BaseAddress = _gateway!.Url };
        using var slow = await client.GetAsync(new Uri("/slow", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.StatusCode);
        Assert.Equal("Service Unavailable", JsonNode.Parse(await slow.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());

        using var crash = await client.GetAsync(new Uri("/crash", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadGateway, crash.StatusCode);
        Assert.Equal("Internal Server Error", JsonNode.Parse(await crash.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());

        // The next request cold-starts a new environment.
        using var echo = await client.GetAsync(new Uri("/echo", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Created, echo.StatusCode);
        Assert.Equal(2, _function!.Process.Starts);
    }
}
