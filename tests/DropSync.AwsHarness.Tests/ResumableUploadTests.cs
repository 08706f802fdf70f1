using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using DropSync.Testing;

namespace DropSync.AwsHarness.Tests;

/// <summary>A resumable upload: the blocks go to presigned S3 URLs (signed by the http function, so its S3 proxy
/// receives and records them), then /files/upload/finish adopts the staged blocks (COPY incoming/… → blocks/…, DELETE).</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class ResumableUploadTests(HarnessFixture fixture)
{
    [Fact]
    public async Task Blocks_put_to_presigned_urls_are_committed_by_finish_which_copies_and_deletes_the_staged_objects()
    {
        using var api = fixture.Api();
        await fixture.SignUpAsync(api);
        var content = RandomNumberGenerator.GetBytes(300_000);
        var blocks = new[] { content[..200_000], content[200_000..] };
        using var begin = await api.PostAsJsonAsync("/files/upload?uploadType=resumable", new
        {
            path = "/Docs/report.bin",
            size = content.Length,
            blocks = blocks.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length }),
            mode = "add",
        });
        var state = JsonNode.Parse(await begin.Content.ReadAsStringAsync())!;
        Assert.True(begin.IsSuccessStatusCode, state.ToJsonString());
        var missing = state["missing"]!.AsArray();
        Assert.Equal(2, missing.Count);

        using var raw = new HttpClient();
        foreach (var block in missing)
        {
            var url = block!["url"]!.GetValue<string>();
            Assert.Contains("X-Amz-Signature=", url, StringComparison.Ordinal);
            var bytes = blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block["hash"]!.GetValue<string>());
            await SignedBlockUploads.PutAsync(raw, block, bytes);
        }

        using var finish = await api.PostAsJsonAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        var finished = JsonNode.Parse(await finish.Content.ReadAsStringAsync())!;
        Assert.True(finish.IsSuccessStatusCode, finished.ToJsonString());
        Assert.Equal("/Docs/report.bin", finished["path"]!.GetValue<string>());

        using var download = await api.PostAsJsonAsync("/files/download", new { path = "/Docs/report.bin" });
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());

        // As IAM sees it: the client's PUTs are the http function's s3:PutObject on incoming/… (it signed the URLs);
        // finish reads the staged object, writes the block and deletes the staged one — all the http function's.
        var bucket = fixture.Harness.Template.Buckets.Single();
        var key = bucket.KmsKeyArn!;
        var calls = fixture.Harness.Calls.Snapshot().Where(c => c.Function == "http").ToList();
        foreach (var hash in blocks.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))))
        {
            Assert.Contains(calls, c => c.Action == "s3:PutObject" && c.Resource.StartsWith(bucket.Arn + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal));
            Assert.Contains(calls, c => c.Action == "s3:GetObject" && c.Resource.StartsWith(bucket.Arn + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal));
            Assert.Contains(new AwsCall("http", "s3:PutObject", bucket.Arn + "/blocks/" + hash), calls);
            Assert.Contains(calls, c => c.Action == "s3:DeleteObject" && c.Resource.StartsWith(bucket.Arn + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal));
        }

        Assert.Contains(new AwsCall("http", "kms:GenerateDataKey", key), calls);
        Assert.Contains(new AwsCall("http", "kms:Decrypt", key), calls);
    }
}
