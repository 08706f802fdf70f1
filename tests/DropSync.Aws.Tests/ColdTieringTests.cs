using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Aws.Hosting;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace DropSync.Aws.Tests;

/// <summary>
/// Cold tiering against DynamoDB Local and S3, with the API in AWS mode: files made through the API, then the scheduled
/// event (the same entry EventBridge uses) tags the blocks only old revisions or deleted files reference <c>cold=true</c>,
/// and a restore warms them again. fauxqs has no object tagging (a PUT ?tagging overwrites the object with the XML, a GET
/// ?tagging returns the object's bytes), so there the test checks the job's decision (<see cref="ColdTiering.PlanAsync"/>)
/// and skips the tag round trip; with LocalStack, a real account, or an S3 endpoint that tags, it checks the tags too.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class ColdTieringTests(DynamoDbServer dynamo, S3Server s3, ITestOutputHelper output) : IAsyncLifetime
{
    private const string EventsSecret = "test-events-secret";
    private const string Password = "correct horse battery";
    private static readonly CancellationToken None = CancellationToken.None;
    private ColdTieringFactory? _factory;
    private string _bucket = "";

    public async Task InitializeAsync()
    {
        var db = await dynamo.CreateTablesAsync();
        _bucket = await s3.CreateBucketAsync();
        _factory = new ColdTieringFactory(new Dictionary<string, string>
        {
            [AwsEnvironment.ModeSetting] = "aws",
            [AwsEnvironment.TablePrefix] = db.Tables.Prefix,
            [AwsEnvironment.Bucket] = _bucket,
            [AwsEnvironment.Region] = "us-east-1",
            [AwsEnvironment.DynamoDbEndpoint] = dynamo.Endpoint!,
            [AwsEnvironment.S3Endpoint] = s3.Endpoint!,
            [AwsEnvironment.SqsEndpoint] = s3.Endpoint!,
            [AwsEnvironment.MasterKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [AwsEnvironment.EventsSecret] = EventsSecret,
            ["DropSync:PasswordIterations"] = "1000",
        });
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task Blocks_only_old_revisions_or_deleted_files_reference_are_tagged_cold_and_a_restore_warms_them()
    {
        var tags = await SupportsObjectTaggingAsync();
        output.WriteLine($"{s3.Description}: object tagging {(tags ? "supported, tags are checked" : "not supported, only the job's decision is checked")}");
        var api = _factory!.CreateClient();
        var email = $"cold-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = Password })).StatusCode);
        var token = await LoginAsync(api, email);

        // Uploads in fixed 4 MiB blocks: v1 = [shared, oldOnly], v2 = [shared, newOnly].
        var shared = RandomNumberGenerator.GetBytes(Limits.MaxBlockSize);
        var oldOnly = RandomNumberGenerator.GetBytes(1000);
        var newOnly = RandomNumberGenerator.GetBytes(2000);
        var v1 = shared.Concat(oldOnly).ToArray();
        var v2 = shared.Concat(newOnly).ToArray();
        var v1Rev = (await UploadAsync(api, token, "/Docs/report.bin", v1, "add"))["rev"]!.GetValue<string>();
        await UploadAsync(api, token, "/Docs/report.bin", v2, "overwrite");

        // A deleted file, and a file that stays.
        var deleted = RandomNumberGenerator.GetBytes(3000);
        await UploadAsync(api, token, "/Trash/gone.bin", deleted, "add");
        await PostJsonAsync(api, token, "/files/delete", new { path = "/Trash/gone.bin" });
        var kept = RandomNumberGenerator.GetBytes(4000);
        await UploadAsync(api, token, "/Docs/kept.bin", kept, "add");

        BlockHash sharedHash = BlockHash.Of(shared), oldHash = BlockHash.Of(oldOnly), newHash = BlockHash.Of(newOnly),
            deletedHash = BlockHash.Of(deleted), keptHash = BlockHash.Of(kept);
        var tiering = _factory.Services.GetRequiredService<ColdTiering>();

        // (a) only an old revision and (b) a deleted file: cold; (c) current and (d) shared by current and old: warm.
        var plan = await tiering.PlanAsync(None);
        Assert.Equal(4, plan.Revisions);
        Assert.Equal(new HashSet<BlockHash> { oldHash, deletedHash }, plan.Cold);
        Assert.Equal(new HashSet<BlockHash> { sharedHash, newHash, keptHash }, plan.Warm);
        if (tags)
        {
            var first = await RunScheduledAsync(api);
            Assert.Equal(2, first["tagged_cold"]!.GetValue<int>());
            Assert.Equal(0, first["tagged_warm"]!.GetValue<int>());
            Assert.Equal("true", await ColdTagAsync(oldHash));
            Assert.Equal("true", await ColdTagAsync(deletedHash));
            Assert.Null(await ColdTagAsync(sharedHash));
            Assert.Null(await ColdTagAsync(newHash));
            Assert.Null(await ColdTagAsync(keptHash));
        }

        // Restoring v1 makes oldOnly current again, and leaves newOnly to the old revision.
        var restored = await PostJsonAsync(api, token, "/files/restore", new { path = "/Docs/report.bin", rev = v1Rev });
        Assert.Equal(v1.Length, restored["size"]!.GetValue<long>());
        plan = await tiering.PlanAsync(None);
        Assert.Equal(new HashSet<BlockHash> { newHash, deletedHash }, plan.Cold);
        Assert.Equal(new HashSet<BlockHash> { sharedHash, oldHash, keptHash }, plan.Warm);
        if (tags)
        {
            var second = await RunScheduledAsync(api);
            Assert.Equal(1, second["tagged_cold"]!.GetValue<int>());
            Assert.Equal(1, second["tagged_warm"]!.GetValue<int>());
            Assert.Equal("false", await ColdTagAsync(oldHash));
            Assert.Equal("true", await ColdTagAsync(newHash));
            Assert.Equal("true", await ColdTagAsync(deletedHash));
            Assert.Null(await ColdTagAsync(sharedHash));
            Assert.Null(await ColdTagAsync(keptHash));

            // A third run changes nothing.
            var third = await RunScheduledAsync(api);
            Assert.Equal(0, third["tagged_cold"]!.GetValue<int>());
            Assert.Equal(0, third["tagged_warm"]!.GetValue<int>());
        }

        // The restored file downloads with v1's bytes (tagging never touches the objects' content): by its blocks'
        // presigned URLs, as any file over AWS mode's 4 MiB response limit.
        var blocks = await PostJsonAsync(api, token, "/files/get_blocks", new { path = "/Docs/report.bin" });
        using var raw = new HttpClient();
        var downloaded = new List<byte>();
        foreach (var block in blocks["blocks"]!.AsArray())
        {
            downloaded.AddRange(await raw.GetByteArrayAsync(block!["url"]!.GetValue<string>()));
        }

        Assert.Equal(v1, downloaded.ToArray());
    }

    /// <summary>Whether the S3 server keeps tags apart from the object (fauxqs 1.9 does not: it overwrites the object).</summary>
    private async Task<bool> SupportsObjectTaggingAsync()
    {
        var key = "probe/" + Guid.NewGuid().ToString("N");
        await s3.Client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = "probe" });
        try
        {
            await s3.Client.PutObjectTaggingAsync(new PutObjectTaggingRequest
            {
                BucketName = _bucket,
                Key = key,
                Tagging = new Tagging { TagSet = [new Tag { Key = "probe", Value = "yes" }] },
            });
            using var get = await s3.Client.GetObjectAsync(_bucket, key);
            using var reader = new StreamReader(get.ResponseStream, Encoding.UTF8);
            if (await reader.ReadToEndAsync() != "probe")
            {
                return false;
            }

            var tagging = await s3.Client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = _bucket, Key = key });
            return tagging.Tagging?.Any(t => t.Key == "probe" && t.Value == "yes") == true;
        }
        catch (AmazonS3Exception)
        {
            return false;
        }
        finally
        {
            await s3.Client.DeleteObjectAsync(_bucket, key);
        }
    }

    /// <summary>The block's cold tag, read straight from S3 (null: no such tag).</summary>
    private async Task<string?> ColdTagAsync(BlockHash hash)
    {
        var tagging = await s3.Client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = _bucket, Key = "blocks/" + hash.Hex });
        return tagging.Tagging?.FirstOrDefault(t => t.Key == ColdTiering.TagKey)?.Value;
    }

    private static async Task<JsonNode> RunScheduledAsync(HttpClient api)
    {
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SampleEvents", "eventbridge-scheduled.json"));
        using var request = new HttpRequestMessage(HttpMethod.Post, AwsEnvironment.EventsPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(AwsEnvironment.EventsSecretHeader, EventsSecret);
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/events answered {response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The resumable upload, as any client sends a file over AWS mode's 4 MiB request limit (blocks to S3).</summary>
    private static Task<JsonNode> UploadAsync(HttpClient api, string token, string path, byte[] content, string mode)
    {
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return AwsModeHost.UploadResumableAsync(api, path, content, mode);
    }

    private static async Task<JsonNode> PostJsonAsync(HttpClient api, string token, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<string> LoginAsync(HttpClient api, string email)
    {
        using var response = await api.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = "laptop" });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return body["access_token"]!.GetValue<string>();
    }

    private sealed class ColdTieringFactory(Dictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
