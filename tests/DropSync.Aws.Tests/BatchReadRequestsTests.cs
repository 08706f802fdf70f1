using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// A move of a 500-file folder through the API in AWS mode reads what is at the 501 new paths and the 500 revisions in
/// BatchGetItem requests of 100 (6 + 5), where the port's default made 501 + 500 GetItems (one per key). Counted by the
/// app's own capacity meter, which sees every DynamoDB request by the operation that made it.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class BatchReadRequestsTests(DynamoDbServer dynamo, S3Server s3, ITestOutputHelper output)
{
    private const int Files = 500;

    [Fact]
    public async Task A_move_of_a_500_file_folder_reads_targets_and_revisions_in_batches_of_100()
    {
        await using var host = await AwsModeHost.StartAsync(dynamo, s3);
        var (api, email, _, _) = await host.SignUpAsync();
        using var login = await api.PostAsJsonAsync("/auth/login", new { email, password = AwsModeHost.Password, device_name = "probe" });
        var ns = Namespaces.RootOf(JsonNode.Parse(await login.Content.ReadAsStringAsync())!["user_id"]!.GetValue<string>());

        // The folder's files are written straight to the store (500 uploads would only slow the test down).
        var store = host.Factory.Services.GetRequiredService<IFileMetadataStore>();
        await store.MustApplyAsync(Put(Folder(ns, "/Big")));
        await Parallel.ForEachAsync(Enumerable.Range(0, Files), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await store.MustApplyAsync(CreateFile(File(ns, $"/Big/f{i:D3}.txt"), Block($"move {i}"))));

        var meter = host.Factory.Services.GetRequiredService<DynamoDbContext>().Capacity;
        meter.Reset();
        await AwsModeHost.OkAsync(api, "/files/move", new { from_path = "/Big", to_path = "/Moved" });
        var used = meter.Snapshot();
        long Requests(string operation) => used.TryGetValue(operation, out var total) ? total.Requests : 0;
        output.WriteLine($"move of a {Files}-file folder: {used.Values.Sum(t => t.Requests)} DynamoDB requests in all");
        foreach (var (operation, total) in used.OrderByDescending(p => p.Value.Requests))
        {
            output.WriteLine($"  {operation,-28} {total.Requests,6} requests {total.CapacityUnits,10:0.#} units");
        }

        // What is at the 501 new paths (the folder and its files), then the 500 files' revisions.
        Assert.Equal((Files + 1 + 99) / 100, Requests(nameof(IFileMetadataStore.GetEntriesAsync)));
        Assert.Equal(Files / 100, Requests(nameof(IFileMetadataStore.GetRevisionsAsync)));
        Assert.True(Requests(nameof(IFileMetadataStore.GetEntryAsync)) < Files / 10, $"{Requests(nameof(IFileMetadataStore.GetEntryAsync))} single entry reads");
        Assert.True(Requests(nameof(IFileMetadataStore.GetRevisionAsync)) < Files / 10, $"{Requests(nameof(IFileMetadataStore.GetRevisionAsync))} single revision reads");
        Assert.Equal(Files, (await store.ListAsync(ns, "/moved", recursive: false, CancellationToken.None)).Count);
    }
}
