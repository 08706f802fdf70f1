using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using DropSync.Testing;

namespace DropSync.AwsHarness.Tests;

/// <summary>A resumable upload: the blocks go to presigned S3 URLs (signed by the http function, so its S3 proxy
/// receives and records them). A block no one stored goes straight to blocks/{sha256} (one S3 request: the signed
/// checksum and If-None-Match are S3's proof); a block someone else stored first is staged under incoming/ and adopted
/// by /files/upload/finish (COPY incoming/… → blocks/…, DELETE), so the uploader proves they hold its bytes.</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class ResumableUploadTests(HarnessFixture fixture)
{
    [Fact]
    public async Task New_blocks_go_straight_to_their_keys_in_one_request_and_a_second_owner_of_the_same_bytes_is_staged()
    {
        var content = RandomNumberGenerator.GetBytes(300_000);
        var blocks = new[] { content[..200_000], content[200_000..] };
        var hashes = blocks.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))).ToList();
        var bucket = fixture.Harness.Template.Buckets.Single();

        var before = fixture.Harness.Calls.Snapshot().Count;
        var missing = await UploadAsync(blocks, content, "/Docs/report.bin");
        var calls = fixture.Harness.Calls.Snapshot().Skip(before).Where(c => c.Function == "http" && c.Action.StartsWith("s3:", StringComparison.Ordinal)).ToList();

        // As IAM sees it: one s3:PutObject per block, on its final key (the http function signed the URLs); finish
        // touches no object; the download reads them.
        Assert.All(missing, m => Assert.Equal("*", m!["headers"]!["If-None-Match"]!.GetValue<string>()));
        foreach (var hash in hashes)
        {
            Assert.Single(calls, c => c.Action == "s3:PutObject" && c.Resource == bucket.Arn + "/blocks/" + hash);
        }

        Assert.DoesNotContain(calls, c => c.Resource.Contains("/incoming/", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.Action == "s3:DeleteObject");

        // Another account with the same bytes: the blocks exist, so its uploads are staged and finish adopts them.
        before = fixture.Harness.Calls.Snapshot().Count;
        var staged = await UploadAsync(blocks, content, "/Copy/report.bin");
        calls = fixture.Harness.Calls.Snapshot().Skip(before).Where(c => c.Function == "http").ToList();
        Assert.All(staged, m => Assert.Contains("/incoming/", m!["url"]!.GetValue<string>(), StringComparison.Ordinal));
        foreach (var hash in hashes)
        {
            Assert.Contains(calls, c => c.Action == "s3:GetObject" && c.Resource.StartsWith(bucket.Arn + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal));
            Assert.Contains(new AwsCall("http", "s3:PutObject", bucket.Arn + "/blocks/" + hash), calls);
            Assert.Contains(calls, c => c.Action == "s3:DeleteObject" && c.Resource.StartsWith(bucket.Arn + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal));
        }

        Assert.Contains(new AwsCall("http", "kms:GenerateDataKey", bucket.KmsKeyArn!), calls);
        Assert.Contains(new AwsCall("http", "kms:Decrypt", bucket.KmsKeyArn!), calls);
    }

    [Fact]
    public async Task S3_refuses_other_bytes_with_BadDigest_and_never_overwrites_a_stored_block()
    {
        using var api = fixture.Api();
        await fixture.SignUpAsync(api);
        var block = RandomNumberGenerator.GetBytes(50_000);
        var state = await BeginAsync(api, [block], "/Docs/one.bin");
        var missing = state["missing"]!.AsArray().Single()!;
        using var raw = new HttpClient();

        // Other bytes under the block's signed checksum: 400 BadDigest, nothing stored.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => SignedBlockUploads.PutAsync(raw, missing, RandomNumberGenerator.GetBytes(50_000)));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("<Code>BadDigest</Code>", refused.Message, StringComparison.Ordinal);

        // The right bytes: stored. Again: 412 PreconditionFailed (If-None-Match: *), the stored object is kept.
        await SignedBlockUploads.PutAsync(raw, missing, block);
        using var again = new HttpRequestMessage(HttpMethod.Put, missing["url"]!.GetValue<string>()) { Content = new ByteArrayContent(block) };
        foreach (var (name, value) in missing["headers"]!.AsObject())
        {
            if (!again.Headers.TryAddWithoutValidation(name, (string?)value))
            {
                again.Content.Headers.Remove(name);
                again.Content.Headers.TryAddWithoutValidation(name, (string?)value);
            }
        }

        using var second = await raw.SendAsync(again);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Contains("<Code>PreconditionFailed</Code>", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var finish = await api.PostAsJsonAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.True(finish.IsSuccessStatusCode, await finish.Content.ReadAsStringAsync());
        using var download = await api.PostAsJsonAsync("/files/download", new { path = "/Docs/one.bin" });
        Assert.Equal(block, await download.Content.ReadAsByteArrayAsync());
    }

    private async Task<JsonArray> UploadAsync(byte[][] blocks, byte[] content, string path)
    {
        using var api = fixture.Api();
        await fixture.SignUpAsync(api);
        var state = await BeginAsync(api, blocks, path);
        var missing = state["missing"]!.AsArray();
        Assert.Equal(blocks.Length, missing.Count);
        using var raw = new HttpClient();
        foreach (var block in missing)
        {
            Assert.Contains("X-Amz-Signature=", block!["url"]!.GetValue<string>(), StringComparison.Ordinal);
            var bytes = blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block["hash"]!.GetValue<string>());
            await SignedBlockUploads.PutAsync(raw, block, bytes);
        }

        using var finish = await api.PostAsJsonAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        var finished = JsonNode.Parse(await finish.Content.ReadAsStringAsync())!;
        Assert.True(finish.IsSuccessStatusCode, finished.ToJsonString());
        Assert.Equal(path, finished["path"]!.GetValue<string>());

        using var download = await api.PostAsJsonAsync("/files/download", new { path });
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
        return missing;
    }

    private static async Task<JsonNode> BeginAsync(HttpClient api, byte[][] blocks, string path)
    {
        using var begin = await api.PostAsJsonAsync("/files/upload?uploadType=resumable", new
        {
            path,
            size = blocks.Sum(b => b.Length),
            blocks = blocks.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length }),
            mode = "add",
        });
        var state = JsonNode.Parse(await begin.Content.ReadAsStringAsync())!;
        Assert.True(begin.IsSuccessStatusCode, state.ToJsonString());
        return state;
    }
}
