using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.Tests.EndToEnd;

namespace DropSync.AwsHarness.Tests;

/// <summary>The real app behind the HTTP API emulation: API Gateway → Lambda (the published asset) → the app, and back.</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class HttpApiTests(HarnessFixture fixture)
{
    [Fact]
    public async Task A_media_upload_and_its_download_round_trip_binary_bytes_exactly()
    {
        using var api = fixture.Api();
        await fixture.SignUpAsync(api);

        // Every byte value, so a text conversion anywhere on the way would show.
        var content = RandomNumberGenerator.GetBytes(200_000);
        content[0] = 0;
        content[1] = 0xFF;
        using (var upload = await api.PostAsync("/files/upload?uploadType=media&path=%2FPics%2Fraw.bin", new ByteArrayContent(content)))
        {
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
            Assert.Equal("/Pics/raw.bin", JsonNode.Parse(await upload.Content.ReadAsStringAsync())!["path"]!.GetValue<string>());
        }

        using var download = await api.PostAsJsonAsync("/files/download", new { path = "/Pics/raw.bin" });
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());

        // The http function wrote the block to S3 and the metadata to DynamoDB, as its role signs them.
        var calls = fixture.Harness.Calls.Snapshot().Where(c => c.Function == "http").ToList();
        Assert.Contains(calls, c => c.Action == "s3:PutObject" && c.Resource.Contains(":::", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Action == "dynamodb:PutItem" || c.Action == "dynamodb:UpdateItem");
        Assert.Contains(calls, c => c.Action == "secretsmanager:GetSecretValue");

        // The commit published its change to the KMS-encrypted change queue.
        var queue = fixture.Harness.Template.Queues.Single(q => q.Url == fixture.Harness.ChangeQueueUrl);
        Assert.True(calls.Contains(new AwsCall("http", "sqs:SendMessage", queue.Arn)), "No change sent to the queue." + HarnessDiagnostics.Describe(fixture.Harness));
        Assert.Contains(new AwsCall("http", "kms:GenerateDataKey", queue.KmsKeyArn!), calls);
    }

    [Fact]
    public async Task A_request_over_the_10_MB_payload_quota_is_answered_413_by_API_Gateway()
    {
        using var api = fixture.Api();
        using var response = await api.PostAsync("/files/upload?uploadType=media&path=%2Fbig.bin", new ByteArrayContent(new byte[(10 * 1024 * 1024) + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Request Entity Too Large", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_whose_event_exceeds_Lambdas_6_MB_invocation_payload_is_answered_500_without_reaching_the_app()
    {
        using var api = fixture.Api();
        var before = fixture.Harness.Calls.Snapshot().Count(c => c.Function == "http");

        // 5 MB of binary is ~6.7 MB once base64-encoded into the event.
        using var response = await api.PostAsync("/files/upload?uploadType=media&path=%2Ffive.bin", new ByteArrayContent(new byte[5 * 1024 * 1024]));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("Internal Server Error", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.Equal(before, fixture.Harness.Calls.Snapshot().Count(c => c.Function == "http"));
    }

    [Fact]
    public async Task A_CORS_preflight_from_the_configured_origin_is_answered_by_API_Gateway()
    {
        using var api = fixture.Api();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/files/upload");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await api.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);

        using var other = new HttpRequestMessage(HttpMethod.Options, "/files/upload");
        other.Headers.Add("Origin", "https://evil.example.com");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await api.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
