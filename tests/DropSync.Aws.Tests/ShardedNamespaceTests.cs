using System.Text;
using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Paths;

namespace DropSync.Aws.Tests;

/// <summary>
/// A hot namespace (docs/architecture.md, "Hot partitions"): a user's namespace raised to 16 shards while a device holds a
/// cursor, then written by 8 committers at once. Every commit lands, the old cursor's continue returns each change once
/// per path in commit order, and listings (whole and paged) are complete; a move across shards and a folder delete
/// replay to the server's tree.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class ShardedNamespaceTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    private const int Committers = 8;
    private const int FilesEach = 4;

    [Fact]
    public async Task Sixteen_shards_take_concurrent_commits_and_an_old_cursor_sees_each_change_once_in_order()
    {
        var (api, email, _, _) = await Host.SignUpAsync();
        await AwsModeHost.OkAsync(api, "/files/create_folder", new { path = "/Team" });
        await AwsModeHost.UploadResumableAsync(api, "/Team/before.txt", Encoding.UTF8.GetBytes("before"));
        var cursor = (await AwsModeHost.OkAsync(api, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        var ns = (await new DynamoDbAccountStore(Host.Db).FindAccountByEmailAsync(email, CancellationToken.None))!.RootNamespaceId;
        var store = new DynamoDbFileMetadataStore(Host.Db);
        Assert.Equal(16, await store.RaiseShardCountAsync(ns, 16, TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(16, await store.GetShardCountAsync(ns, CancellationToken.None));
        Assert.Equal(2, (await store.GetJournalsAsync(ns, CancellationToken.None)).Count);

        // Each committer writes its files, then overwrites each once: two revisions per path, in this order.
        var written = await Task.WhenAll(Enumerable.Range(0, Committers).Select(c => Task.Run(async () =>
        {
            var revs = new List<(string Path, string Rev)>();
            for (var round = 0; round < 2; round++)
            {
                for (var f = 0; f < FilesEach; f++)
                {
                    var path = $"/Team/c{c}-f{f}.txt";
                    var meta = await AwsModeHost.UploadResumableAsync(api, path, Encoding.UTF8.GetBytes($"{path} round {round}"), round == 0 ? "add" : "overwrite");
                    revs.Add((path, meta["rev"]!.GetValue<string>()));
                }
            }

            return revs;
        })));
        var expected = written.SelectMany(w => w).GroupBy(w => w.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(w => w.Rev).ToList(), StringComparer.Ordinal);
        Assert.Equal(Committers * FilesEach, expected.Count);

        // The old cursor: the pre-shard journal to its end, then every shard's; each path's revisions once, in order.
        var (seen, after) = await ContinueToEndAsync(api, cursor);
        foreach (var (path, revs) in expected)
        {
            Assert.Equal(revs, seen.Where(e => e.Path == path).Select(e => e.Rev));
        }

        // Listings merge the shards: whole, and by pages of 7.
        var listed = (await AwsModeHost.OkAsync(api, "/files/list_folder", new { path = "/Team" }))["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(expected.Keys.Append("/Team/before.txt").Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        var paged = new List<string>();
        var page = await AwsModeHost.OkAsync(api, "/files/list_folder", new { path = "/Team", limit = 7 });
        while (true)
        {
            paged.AddRange(page["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()));
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }

            page = await AwsModeHost.OkAsync(api, "/files/list_folder/continue", new { cursor = page["cursor"]!.GetValue<string>() });
        }

        Assert.Equal(listed, paged);

        // A move whose source and target are in different shards, and a folder delete: replaying the feed ends with the server's tree.
        var source = expected.Keys.First();
        var target = Enumerable.Range(0, 64).Select(i => $"/Team/moved{i}.txt")
            .First(t => ShardLayout.ShardOf(DropPath.KeyOf(t), 16) != ShardLayout.ShardOf(DropPath.KeyOf(source), 16));
        await AwsModeHost.OkAsync(api, "/files/move", new { from_path = source, to_path = target });
        await AwsModeHost.OkAsync(api, "/files/create_folder", new { path = "/Team/Sub" });
        await AwsModeHost.UploadResumableAsync(api, "/Team/Sub/inner.txt", Encoding.UTF8.GetBytes("inner"));
        await AwsModeHost.OkAsync(api, "/files/delete", new { path = "/Team/Sub" });
        var tree = new HashSet<string>(seen.Select(e => e.Path).Concat(["/Team", "/Team/before.txt"]), StringComparer.OrdinalIgnoreCase);
        var (more, _) = await ContinueToEndAsync(api, after);
        foreach (var entry in more)
        {
            if (entry.Tag == "deleted")
            {
                tree.RemoveWhere(p => p.Equals(entry.Path, StringComparison.OrdinalIgnoreCase) || p.StartsWith(entry.Path + "/", StringComparison.OrdinalIgnoreCase));
            }
            else
            {
                tree.Add(entry.Path);
            }
        }

        var server = (await AwsModeHost.OkAsync(api, "/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>());
        Assert.Equal(server.Order(StringComparer.OrdinalIgnoreCase), tree.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Contains(target, tree);
        Assert.DoesNotContain(source, tree);
    }

    private static async Task<(List<(string Tag, string Path, string? Rev)> Entries, string Cursor)> ContinueToEndAsync(HttpClient api, string cursor)
    {
        var entries = new List<(string Tag, string Path, string? Rev)>();
        while (true)
        {
            var page = await AwsModeHost.OkAsync(api, "/files/list_folder/continue", new { cursor, limit = 10 });
            foreach (var entry in page["entries"]!.AsArray().OfType<JsonNode>())
            {
                entries.Add((entry["tag"]!.GetValue<string>(), entry["path"]!.GetValue<string>(), entry["rev"]?.GetValue<string>()));
            }

            cursor = page["cursor"]!.GetValue<string>();
            if (!page["has_more"]!.GetValue<bool>())
            {
                return (entries, cursor);
            }
        }
    }
}
