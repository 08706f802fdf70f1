using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;

namespace DropSync.Aws.Tests;

/// <summary>
/// AWS mode answers no body larger than a Lambda response can carry: GET /config tells clients the limits, a download
/// over max_response_bytes is refused with 409 too_large_for_direct_download (a Range within it is served, and the blocks
/// come from presigned S3 URLs, for link visitors too), a batch over max_batch_bytes and a media upload over
/// max_request_bytes are refused with 413.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsPayloadLimitTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    private const long Max = AwsPayloadLimits.MaxPayloadBytes;

    [Fact]
    public async Task Config_gives_the_aws_mode_the_stage_url_and_the_lambda_limits()
    {
        using var anonymous = Host.CreateClient();
        using var response = await anonymous.GetAsync("/config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var config = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("aws", config["mode"]!.GetValue<string>());
        Assert.Equal("wss://abcd1234.execute-api.us-east-1.amazonaws.com/live", config["websocket_url"]!.GetValue<string>());
        Assert.Equal(4_194_304, config["max_request_bytes"]!.GetValue<long>());
        Assert.Equal(4_194_304, config["max_response_bytes"]!.GetValue<long>());
        Assert.Equal(4_194_304, config["max_batch_bytes"]!.GetValue<long>());
        Assert.Equal(1000, config["max_batch_files"]!.GetValue<int>());
        Assert.Equal(4 * 1024 * 1024, config["max_block_bytes"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_whole_served_in_ranges_within_it_and_fetched_by_blocks()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var content = RandomNumberGenerator.GetBytes((int)Max + 300_000);
        await AwsModeHost.UploadResumableAsync(api, "/big.bin", content);

        using (var post = await api.PostAsJsonAsync("/files/download", new { path = "/big.bin" }))
        {
            await AssertTooLargeAsync(post, "/files/get_blocks");
        }

        using (var get = await api.GetAsync("/files/download?path=%2Fbig.bin"))
        {
            await AssertTooLargeAsync(get, "/files/get_blocks");
        }

        // A Range over the limit is refused too; one within it is served.
        using (var tooWide = new HttpRequestMessage(HttpMethod.Get, "/files/download?path=%2Fbig.bin"))
        {
            tooWide.Headers.Range = new RangeHeaderValue(0, Max);
            using var response = await api.SendAsync(tooWide);
            await AssertTooLargeAsync(response, "/files/get_blocks");
        }

        using (var ranged = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/big.bin" }) })
        {
            ranged.Headers.Range = new RangeHeaderValue(Max - 100, content.Length - 1);
            using var response = await api.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(content[(int)(Max - 100)..], await response.Content.ReadAsByteArrayAsync());
        }

        var blocks = await AwsModeHost.OkAsync(api, "/files/get_blocks", new { path = "/big.bin" });
        Assert.Equal(content, await FetchBlocksAsync(blocks));

        // A file within the limit downloads whole.
        var small = RandomNumberGenerator.GetBytes(1000);
        await AwsModeHost.UploadResumableAsync(api, "/small.bin", small);
        using var whole = await api.PostAsJsonAsync("/files/download", new { path = "/small.bin" });
        Assert.Equal(small, await whole.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_link_visitor_gets_the_same_refusal_and_the_blocks_through_the_link_with_its_password()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var content = RandomNumberGenerator.GetBytes((int)Max + 1);
        await AwsModeHost.UploadResumableAsync(api, "/Share/big.bin", content);
        var link = await AwsModeHost.OkAsync(api, "/sharing/create_link", new { path = "/Share", password = "open sesame" });
        var token = new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];
        using var visitor = Host.CreateClient();

        using (var download = new HttpRequestMessage(HttpMethod.Get, $"/s/{token}/download?path=%2FShare%2Fbig.bin"))
        {
            download.Headers.Add("DropSync-Link-Password", "open sesame");
            using var response = await visitor.SendAsync(download);
            await AssertTooLargeAsync(response, $"/s/{token}/get_blocks");
        }

        using (var noPassword = await visitor.PostAsJsonAsync($"/s/{token}/get_blocks", new { path = "/Share/big.bin" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noPassword.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/s/{token}/get_blocks") { Content = JsonContent.Create(new { path = "/Share/big.bin" }) };
        request.Headers.Add("DropSync-Link-Password", "open sesame");
        using var blocksResponse = await visitor.SendAsync(request);
        var blocks = JsonNode.Parse(await blocksResponse.Content.ReadAsStringAsync())!;
        Assert.True(blocksResponse.IsSuccessStatusCode, blocks.ToJsonString());
        Assert.Equal("/Share/big.bin", blocks["metadata"]!["path"]!.GetValue<string>());
        Assert.Equal(content, await FetchBlocksAsync(blocks));
    }

    [Fact]
    public async Task A_batch_or_a_media_upload_over_the_limit_is_refused_with_413()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        using (var batch = new MultipartFormDataContent())
        {
            batch.Add(new StringContent("""{"files":[{"path":"/a.bin"},{"path":"/b.bin"}]}"""), "manifest");
            batch.Add(new ByteArrayContent(new byte[3 * 1024 * 1024]), "file", "a.bin");
            batch.Add(new ByteArrayContent(new byte[2 * 1024 * 1024]), "file", "b.bin");
            using var response = await api.PostAsync("/files/upload_batch", batch);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("batch_too_large", body["error"]!.GetValue<string>());
            Assert.Equal(Max, body["max_batch_bytes"]!.GetValue<long>());
        }

        using (var media = new ByteArrayContent(new byte[Max + 1]))
        {
            using var response = await api.PostAsync("/files/upload?uploadType=media&path=%2Fhuge.bin", media);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("too_large_for_direct_upload", body["error"]!.GetValue<string>());
            Assert.Contains("uploadType=resumable", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(Max, body["max_request_bytes"]!.GetValue<long>());
        }

        // Within the limits both work.
        using (var media = new ByteArrayContent(new byte[1000]))
        {
            using var response = await api.PostAsync("/files/upload?uploadType=media&path=%2Fok.bin", media);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var small = new MultipartFormDataContent();
        small.Add(new StringContent("""{"files":[{"path":"/c.bin"}]}"""), "manifest");
        small.Add(new ByteArrayContent(new byte[1000]), "file", "c.bin");
        using var ok = await api.PostAsync("/files/upload_batch", small);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static async Task AssertTooLargeAsync(HttpResponseMessage response, string blocksEndpoint)
    {
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("too_large_for_direct_download", body["error"]!.GetValue<string>());
        Assert.Equal(Max, body["max_response_bytes"]!.GetValue<long>());
        Assert.Contains(blocksEndpoint, body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("DropSync-API-Result"));
    }

    /// <summary>The file from its presigned block URLs, each block's SHA-256 checked.</summary>
    private static async Task<byte[]> FetchBlocksAsync(JsonNode blocks)
    {
        using var raw = new HttpClient();
        var file = new MemoryStream();
        foreach (var block in blocks["blocks"]!.AsArray())
        {
            var bytes = await raw.GetByteArrayAsync(block!["url"]!.GetValue<string>());
            Assert.Equal(block["hash"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal(file.Length, block["offset"]!.GetValue<long>());
            file.Write(bytes);
        }

        return file.ToArray();
    }
}
