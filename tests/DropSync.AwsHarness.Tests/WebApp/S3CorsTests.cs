using System.Net;

namespace DropSync.AwsHarness.Tests.WebApp;

/// <summary>
/// The blocks bucket's CORS configuration from the template, applied by the S3 proxies as S3 applies it: the web app's
/// origin (the HTTP API, here its emulator) may preflight and read PUT/GET answers; any other origin's preflight is 403.
/// </summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class S3CorsTests(HarnessFixture fixture)
{
    private static readonly HttpClient Http = new();

    private Uri ObjectUrl(string key) =>
        new($"{fixture.Harness.Functions["http"].Environment["DROPSYNC_S3_ENDPOINT"]}/{fixture.Harness.Template.Buckets.Single().Name}/{key}");

    private string AppOrigin => fixture.Harness.HttpApiUrl.GetLeftPart(UriPartial.Authority);

    private static HttpRequestMessage Preflight(Uri url, string origin, string method, string? headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        return request;
    }

    [Fact]
    public async Task A_preflight_from_the_web_apps_origin_is_allowed_with_the_rules_headers()
    {
        using var request = Preflight(ObjectUrl("incoming/abc"), AppOrigin, "PUT", "content-type, x-amz-checksum-sha256");
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AppOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PUT", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("content-type, x-amz-checksum-sha256", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Equal("3600", response.Headers.GetValues("Access-Control-Max-Age").Single());
        Assert.Contains("ETag", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_preflight_from_another_origin_or_for_a_method_no_rule_allows_is_403()
    {
        using (var request = Preflight(ObjectUrl("incoming/abc"), "http://evil.example", "PUT", null))
        using (var response = await Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.Contains("<Code>AccessForbidden</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var request = Preflight(ObjectUrl("incoming/abc"), AppOrigin, "DELETE", null))
        using (var response = await Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task An_actual_response_carries_the_allow_origin_only_for_an_allowed_origin()
    {
        // No such object: the CORS headers are on the error answer all the same.
        using (var request = new HttpRequestMessage(HttpMethod.Get, ObjectUrl("blocks/none")))
        {
            request.Headers.Add("Origin", AppOrigin);
            using var response = await Http.SendAsync(request);
            Assert.Equal(AppOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("Content-Range", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, ObjectUrl("blocks/none")))
        {
            request.Headers.Add("Origin", "http://evil.example");
            using var response = await Http.SendAsync(request);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }
}
