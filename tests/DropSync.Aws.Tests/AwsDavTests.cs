using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DropSync.Aws.Tests.Infrastructure;

namespace DropSync.Aws.Tests;

/// <summary>
/// AWS mode: app passwords work (DynamoDB), and /dav/ answers a clear 501 rather than failing on the first large PUT, since
/// a Lambda request body is at most 6 MB and WebDAV clients send a file as one body (docs/webdav.md).
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsDavTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    [Fact]
    public async Task App_passwords_are_kept_in_dynamodb_and_dav_answers_501_webdav_unavailable()
    {
        var (api, email, _, _) = await Host.SignUpAsync();
        using var created = await api.PostAsJsonAsync("/auth/create_app_password", new { name = "Finder" });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("app_password").GetString();
        var listed = await (await api.PostAsJsonAsync("/auth/list_app_passwords", new { })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Finder", Assert.Single(listed.GetProperty("app_passwords").EnumerateArray().ToList()).GetProperty("name").GetString());

        using var dav = Host.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod("PROPFIND"), "/dav/") { Headers = { { "Depth", "1" } } };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{secret}")));
        using var response = await dav.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("webdav_unavailable", error.GetProperty("error").GetString());
        Assert.Contains("6 MB", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
