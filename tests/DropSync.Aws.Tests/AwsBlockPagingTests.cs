using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Files;

namespace DropSync.Aws.Tests;

/// <summary>
/// In AWS mode every answer is a Lambda response (at most <see cref="AwsPayloadLimits.MaxPayloadBytes"/>). A file of
/// many blocks (tiny ones here: the resumable manifest takes any block size up to 4 MiB) is uploaded and read back with
/// the default page size, and no answer of the resumable upload or of /files/get_blocks comes near the limit.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsBlockPagingTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    private const int BlockCount = 1_100;
    private const int BlockSize = 64;

    /// <summary>Well under the limit: a page's presigned URLs carry no session token here, but in Lambda they do (~1 KB more each).</summary>
    private const int PageBudget = 1024 * 1024;

    private static readonly int PageSize = new DropSyncOptions().BlockListPageSize;


    [Fact]
    public async Task A_file_of_many_blocks_goes_up_and_comes_down_in_pages_each_well_under_the_lambda_limit()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var content = RandomNumberGenerator.GetBytes(BlockCount * BlockSize);
        var blocks = Enumerable.Range(0, BlockCount).Select(i => content[(i * BlockSize)..((i + 1) * BlockSize)]).ToList();
        var hashes = blocks.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))).ToList();
        var byHash = hashes.Zip(blocks).ToDictionary(p => p.First, p => p.Second);
        var answers = new List<(string Call, int Bytes)>();

        var state = await PostAsync(api, "/files/upload?uploadType=resumable", new
        {
            path = "/many.bin",
            size = content.Length,
            blocks = hashes.Select(h => new { hash = h, size = BlockSize }),
        }, "begin", answers);
        var uploadId = state["upload_id"]!.GetValue<string>();
        var handedOut = new List<int>();
        using var raw = new HttpClient();
        while (true)
        {
            var missing = state["missing"]!.AsArray();
            handedOut.Add(missing.Count);
            // A presigned S3 PUT is one object: no upload runs, and the answer says so (clients PUT block by block).
            Assert.True(state.AsObject().ContainsKey("runs"), "the answer says which form its URLs take");
            Assert.Null(state["runs"]);
            foreach (var block in missing)
            {
                using var put = new HttpRequestMessage(HttpMethod.Put, block!["url"]!.GetValue<string>()) { Content = new ByteArrayContent(byHash[block["hash"]!.GetValue<string>()]) };
                using var response = await raw.SendAsync(put);
                Assert.True(response.IsSuccessStatusCode, $"S3 PUT answered {response.StatusCode}");
            }

            if (state["more_missing"]!.GetValue<int>() == 0)
            {
                break;
            }

            state = await PostAsync(api, $"/files/upload?uploadType=resumable&upload_id={uploadId}", null, "status", answers);
        }

        await AwsModeHost.OkAsync(api, "/files/upload/finish", new { upload_id = uploadId });

        var reassembled = new List<byte>();
        int? start = 0;
        while (start is not null)
        {
            var page = await PostAsync(api, "/files/get_blocks", new { path = "/many.bin", start }, "get_blocks", answers);
            // Presigned S3 URLs are one object each: no run form, and the answer says so.
            Assert.True(page.AsObject().ContainsKey("runs"), "the answer says which form its URLs take");
            Assert.Null(page["runs"]);
            foreach (var block in page["blocks"]!.AsArray())
            {
                reassembled.AddRange(await raw.GetByteArrayAsync(block!["url"]!.GetValue<string>()));
            }

            start = page["next_start"]?.GetValue<int>();
        }

        var pages = (BlockCount + PageSize - 1) / PageSize;
        Assert.Equal(Enumerable.Range(0, pages).Select(i => Math.Min(PageSize, BlockCount - (i * PageSize))), handedOut);
        Assert.Equal(pages, answers.Count(a => a.Call == "get_blocks"));
        Assert.Equal(content, reassembled.ToArray());
        Assert.All(answers, a => Assert.True(a.Bytes < PageBudget, $"a {a.Call} answer of {a.Bytes} bytes"));
        Assert.True(PageBudget < AwsPayloadLimits.MaxPayloadBytes);
    }

    private static async Task<JsonNode> PostAsync(HttpClient api, string url, object? body, string call, List<(string Call, int Bytes)> answers)
    {
        using var response = body is null ? await api.PostAsync(url, null) : await api.PostAsJsonAsync(url, body);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url} answered {response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
        answers.Add((call, bytes.Length));
        return JsonNode.Parse(bytes)!;
    }
}
