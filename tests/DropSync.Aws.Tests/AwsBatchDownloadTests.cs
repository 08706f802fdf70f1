using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;

namespace DropSync.Aws.Tests;

/// <summary>
/// POST /files/download_batch in AWS mode: blocks come from S3, and the answer stays within what a Lambda response
/// carries (max_download_batch_bytes = 4 MiB of JSON; Lambda's payload quota is 6 MB,
/// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Files past it answer download_batch_full.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsBatchDownloadTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    [Fact]
    public async Task Config_offers_batch_download_within_the_lambda_payload()
    {
        using var anonymous = Host.CreateClient();
        var config = JsonNode.Parse(await anonymous.GetStringAsync("/config"))!;
        Assert.Equal(1000, config["max_download_batch_files"]!.GetValue<int>());
        Assert.Equal(AwsPayloadLimits.MaxPayloadBytes, config["max_download_batch_bytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Small_files_come_from_s3_in_one_answer_and_what_would_overflow_it_is_refused_alone()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var small = Enumerable.Range(0, 20).Select(i => RandomNumberGenerator.GetBytes(3_000 + i)).ToList();
        for (var i = 0; i < small.Count; i++)
        {
            await AwsModeHost.UploadResumableAsync(api, $"/small/{i}.bin", small[i]);
        }

        var big = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        await AwsModeHost.UploadResumableAsync(api, "/big1.bin", big);
        await AwsModeHost.UploadResumableAsync(api, "/big2.bin", big);

        var files = Enumerable.Range(0, small.Count).Select(i => new { path = $"/small/{i}.bin" }).Append(new { path = "/big1.bin" }).Append(new { path = "/big2.bin" });
        using var response = await api.PostAsJsonAsync("/files/download_batch", new { files });
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange((long)text.Length, 1, AwsPayloadLimits.MaxPayloadBytes);
        var entries = JsonNode.Parse(text)!["entries"]!.AsArray();
        for (var i = 0; i < small.Count; i++)
        {
            Assert.Equal(small[i], Convert.FromBase64String(entries[i]!["content"]!.GetValue<string>()));
        }

        // 2 MiB in base64 is 2.8 MB: the first big file fits the 4 MiB answer, the second does not.
        Assert.Equal(big, Convert.FromBase64String(entries[20]!["content"]!.GetValue<string>()));
        Assert.Equal(413, entries[21]!["status"]!.GetValue<int>());
        Assert.Equal("download_batch_full", entries[21]!["error"]!["error"]!.GetValue<string>());
    }
}
