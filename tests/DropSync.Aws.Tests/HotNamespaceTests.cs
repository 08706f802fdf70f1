using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;

namespace DropSync.Aws.Tests;

/// <summary>
/// What raises a namespace's shard count (docs/architecture.md, "Hot partitions"): the commit path counts its retries per
/// namespace; the maintenance run raises a namespace over the threshold and leaves a cold one alone, once; an operator's
/// command to the maintenance function raises a named one.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class HotNamespaceTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    private const int Committers = 8;
    private const int Threshold = 3;

    [Fact]
    public async Task A_namespace_made_hot_by_concurrent_committers_is_raised_once_and_a_cold_one_is_not()
    {
        var (hotApi, hotEmail, _, _) = await Host.SignUpAsync();
        var (coldApi, coldEmail, _, _) = await Host.SignUpAsync();
        var accounts = new DynamoDbAccountStore(Host.Db);
        var hot = (await accounts.FindAccountByEmailAsync(hotEmail, CancellationToken.None))!.RootNamespaceId;
        var cold = (await accounts.FindAccountByEmailAsync(coldEmail, CancellationToken.None))!.RootNamespaceId;
        var log = new DynamoDbContentionLog(Host.Db);

        // The cold namespace: one device committing in turn never collides.
        for (var i = 0; i < 4; i++)
        {
            await AwsModeHost.UploadResumableAsync(coldApi, $"/alone-{i}.txt", Encoding.UTF8.GetBytes($"alone {i}"));
        }

        // The hot one: rounds of concurrent committers on one namespace until their retries were counted past the threshold.
        long Retries(IReadOnlyList<(string Ns, long Retries)> counts, string ns) => counts.FirstOrDefault(c => c.Ns == ns).Retries;
        for (var round = 0; round < 20 && Retries(await log.ReadAsync(DateTimeOffset.UtcNow, CancellationToken.None), hot) < Threshold; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, Committers).Select(c =>
                AwsModeHost.UploadResumableAsync(hotApi, $"/busy-{round}-{c}.txt", Encoding.UTF8.GetBytes($"round {round} committer {c}"))));
        }

        var counted = await log.ReadAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.True(Retries(counted, hot) >= Threshold, $"8 concurrent committers were never retried {Threshold} times");
        Assert.Equal(0, Retries(counted, cold));

        var store = new DynamoDbFileMetadataStore(Host.Db);
        var raiser = new HotNamespaceRaiser(store, log, new HotNamespaceOptions { RetriesThreshold = Threshold }, TimeProvider.System) { Settle = TimeSpan.Zero };
        var report = await raiser.RunOnceAsync(CancellationToken.None);
        var raised = Assert.Single(report.Raised);
        Assert.Equal((hot, 1, 4), (raised.NamespaceId, raised.From, raised.To));
        Assert.Equal(4, await store.GetShardCountAsync(hot, CancellationToken.None));
        Assert.Equal(1, await store.GetShardCountAsync(cold, CancellationToken.None));

        // Idempotent: its counters are answered, so the next run raises nothing; the namespace still takes commits.
        Assert.Empty((await raiser.RunOnceAsync(CancellationToken.None)).Raised);
        Assert.Equal(4, await store.GetShardCountAsync(hot, CancellationToken.None));
        await AwsModeHost.UploadResumableAsync(hotApi, "/after.txt", Encoding.UTF8.GetBytes("after the raise"));
        var listed = (await AwsModeHost.OkAsync(hotApi, "/files/list_folder", new { path = "" }))["entries"]!.AsArray();
        Assert.Contains(listed, e => e!["path"]!.GetValue<string>() == "/after.txt");
    }

    [Fact]
    public async Task An_operator_raises_a_namespace_by_a_command_to_the_maintenance_function_and_bad_commands_are_refused()
    {
        var (api, email, _, _) = await Host.SignUpAsync();
        await AwsModeHost.UploadResumableAsync(api, "/before.txt", Encoding.UTF8.GetBytes("before"));

        var (status, body) = await Host.PostEventAsync(new JsonObject { ["dropsync_operation"] = "raise_shards", ["email"] = email, ["shards"] = 8 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["shards_before"]!.GetValue<int>());
        Assert.Equal(8, body["shards"]!.GetValue<int>());
        var ns = body["namespace_id"]!.GetValue<string>();
        Assert.Equal(8, await new DynamoDbFileMetadataStore(Host.Db).GetShardCountAsync(ns, CancellationToken.None));

        // Again: nothing to do (S only grows).
        (_, body) = await Host.PostEventAsync(new JsonObject { ["dropsync_operation"] = "raise_shards", ["namespace_id"] = ns, ["shards"] = 4 });
        Assert.Equal(8, body!["shards"]!.GetValue<int>());

        var listed = (await AwsModeHost.OkAsync(api, "/files/list_folder", new { path = "" }))["entries"]!.AsArray();
        Assert.Contains(listed, e => e!["path"]!.GetValue<string>() == "/before.txt");

        foreach (var bad in new[]
        {
            new JsonObject { ["dropsync_operation"] = "raise_shards", ["email"] = email, ["shards"] = 65 },
            new JsonObject { ["dropsync_operation"] = "raise_shards", ["email"] = "nobody@example.com", ["shards"] = 4 },
            new JsonObject { ["dropsync_operation"] = "raise_shards", ["shards"] = 4 },
            new JsonObject { ["dropsync_operation"] = "drop_tables" },
        })
        {
            (status, body) = await Host.PostEventAsync(bad);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("invalid_event", body!["error"]!.GetValue<string>());
        }

        (_, body) = await Host.PostEventAsync(new JsonObject { ["dropsync_operation"] = "hot_namespaces" });
        Assert.Equal(100, body!["threshold"]!.GetValue<int>());
        Assert.NotNull(body["namespaces"]!.AsArray());
    }
}
