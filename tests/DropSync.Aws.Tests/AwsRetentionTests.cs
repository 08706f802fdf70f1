using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DropSync.Aws.Tests;

/// <summary>
/// The retention policy in AWS mode, read from the Lambda environment the stack's parameters fill (1 day, 2 revisions a
/// file), against DynamoDB Local and S3: /config serves it, the maintenance function's collector forgets what is past
/// it, and get_space_usage tells current files from history. (The collector is run directly: the scheduled event runs it
/// and then cold tiering, which needs S3 object tagging that fauxqs lacks; ColdTieringTests covers that part.)
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsRetentionTests(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private AwsModeFactory? _factory;

    public async Task InitializeAsync()
    {
        var db = await dynamo.CreateTablesAsync();
        _factory = new AwsModeFactory(
            new Dictionary<string, string>
            {
                [AwsEnvironment.ModeSetting] = "aws",
                [AwsEnvironment.TablePrefix] = db.Tables.Prefix,
                [AwsEnvironment.Bucket] = await s3.CreateBucketAsync(),
                [AwsEnvironment.Region] = "us-east-1",
                [AwsEnvironment.DynamoDbEndpoint] = dynamo.Endpoint!,
                [AwsEnvironment.S3Endpoint] = s3.Endpoint!,
                [AwsEnvironment.SqsEndpoint] = s3.Endpoint!,
                [AwsEnvironment.MasterKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                [AwsEnvironment.VersionRetentionDays] = "1",
                [AwsEnvironment.MaxRevisionsPerFile] = "2",
                ["DropSync:PasswordIterations"] = "1000",
            },
            services => services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_scheduled_run_forgets_history_past_the_policy_from_the_lambda_environment()
    {
        var api = _factory!.CreateClient();
        var config = JsonNode.Parse(await api.GetStringAsync(new Uri("/config", UriKind.Relative)))!;
        Assert.Equal((86_400L, 2, "1 day, up to 2 revisions a file"), (config["version_retention_seconds"]!.GetValue<long>(), config["max_revisions_per_file"]!.GetValue<int>(), config["history"]!.GetValue<string>()));

        var email = $"keep-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        using var login = await api.PostAsJsonAsync("/auth/login", new { email, password = "correct horse battery", device_name = "laptop" });
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(await login.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>());
        var first = await AwsModeHost.UploadResumableAsync(api, "/notes.bin", RandomNumberGenerator.GetBytes(1000), "add");
        await AwsModeHost.UploadResumableAsync(api, "/notes.bin", RandomNumberGenerator.GetBytes(2000), "overwrite");
        await AwsModeHost.UploadResumableAsync(api, "/notes.bin", RandomNumberGenerator.GetBytes(3000), "overwrite");

        // Beyond the newest two, the oldest is gone from the answers at once and from the tables at the next run.
        Assert.Equal(2, (await PostAsync(api, "/files/list_revisions", new { path = "/notes.bin", limit = 10 }))["entries"]!.AsArray().Count);
        Assert.Equal(1, (await CollectAsync()).ForgottenRevisions);
        using (var restore = await api.PostAsJsonAsync("/files/restore", new { path = "/notes.bin", rev = first["rev"]!.GetValue<string>() }))
        {
            Assert.Equal(HttpStatusCode.NotFound, restore.StatusCode);
        }

        var usage = await PostAsync(api, "/users/get_space_usage", new { });
        Assert.Equal((3000L, 2000L), (usage["used"]!.GetValue<long>(), usage["history"]!.GetValue<long>()));

        // A day after it was replaced, the second revision goes too; the current one stays.
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await CollectAsync()).ForgottenRevisions);
        Assert.Single((await PostAsync(api, "/files/list_revisions", new { path = "/notes.bin", limit = 10 }))["entries"]!.AsArray());
        usage = await PostAsync(api, "/users/get_space_usage", new { });
        Assert.Equal((3000L, 0L), (usage["used"]!.GetValue<long>(), usage["history"]!.GetValue<long>()));
    }

    [Fact]
    public async Task A_deleted_file_forgotten_by_retention_leaves_no_tiering_item_behind()
    {
        var api = _factory!.CreateClient();
        var email = $"gone-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        using var login = await api.PostAsJsonAsync("/auth/login", new { email, password = "correct horse battery", device_name = "laptop" });
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(await login.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>());
        await AwsModeHost.UploadResumableAsync(api, "/gone.bin", RandomNumberGenerator.GetBytes(1000), "add");
        await AwsModeHost.UploadResumableAsync(api, "/kept.bin", RandomNumberGenerator.GetBytes(1000), "add");
        await PostAsync(api, "/files/delete", new { path = "/gone.bin" });

        // The pass counts both paths for cold tiering (an item t#{path} each); a day later the deleted one is forgotten,
        // and its item with it, while the live file's stays.
        await CollectAsync();
        Assert.Equal(["t#/gone.bin", "t#/kept.bin"], await TieringItemsAsync());
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await CollectAsync()).ForgottenEntries);
        Assert.Equal(["t#/kept.bin"], await TieringItemsAsync());
    }

    /// <summary>Sort keys of cold tiering's per-path items (t#{pathKey}) in the Revisions table.</summary>
    private async Task<List<string>> TieringItemsAsync()
    {
        var db = _factory!.Services.GetRequiredService<DynamoDbContext>();
        var response = await db.Client.ScanAsync(new ScanRequest
        {
            TableName = db.Tables.Revisions,
            FilterExpression = "begins_with(#k, :t)",
            ExpressionAttributeNames = new() { ["#k"] = DynamoDbTables.RevisionsSortKey },
            ExpressionAttributeValues = new() { [":t"] = new AttributeValue("t#") },
            ConsistentRead = true,
        });
        return [.. response.Items.Select(i => i[DynamoDbTables.RevisionsSortKey].S).Order(StringComparer.Ordinal)];
    }

    private static async Task<JsonNode> PostAsync(HttpClient api, string path, object body)
    {
        using var response = await api.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private Task<Core.Blocks.BlockCollector.Report> CollectAsync() =>
        _factory!.Services.GetRequiredService<Core.Blocks.BlockCollector>().RunOnceAsync(CancellationToken.None);
}
