using System.Text;
using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Paths;

namespace DropSync.Aws.Tests;

/// <summary>
/// <c>list_folder/continue</c> on a sharded namespace is a snapshot (docs/architecture.md, "Hot partitions"): paged one
/// change at a time, a batch that journalled in several shards (a move across shards, a folder's deletion) still comes
/// whole in one page; each path's changes come once and in order.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class ShardedFeedPageTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{
    private const int Shards = 4;

    [Fact]
    public async Task Paged_one_change_at_a_time_no_batch_spanning_shards_is_split_over_two_pages()
    {
        var (api, email, _, _) = await Host.SignUpAsync();
        var ns = (await new DynamoDbAccountStore(Host.Db).FindAccountByEmailAsync(email, CancellationToken.None))!.RootNamespaceId;
        Assert.Equal(Shards, await new DynamoDbFileMetadataStore(Host.Db).RaiseShardCountAsync(ns, Shards, TimeSpan.Zero, CancellationToken.None));
        await AwsModeHost.OkAsync(api, "/files/create_folder", new { path = "/F" });
        var cursor = (await AwsModeHost.OkAsync(api, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        var files = Enumerable.Range(0, 6).Select(i => $"/F/f{i}.txt").ToList();
        foreach (var file in files)
        {
            await AwsModeHost.UploadResumableAsync(api, file, Encoding.UTF8.GetBytes(file));
        }

        var source = files[0];
        var target = Enumerable.Range(0, 64).Select(i => $"/F/moved{i}.txt")
            .First(t => ShardLayout.ShardOf(DropPath.KeyOf(t), Shards) != ShardLayout.ShardOf(DropPath.KeyOf(source), Shards));
        await AwsModeHost.OkAsync(api, "/files/move", new { from_path = source, to_path = target });
        await AwsModeHost.OkAsync(api, "/files/create_folder", new { path = "/F/Sub" });
        await AwsModeHost.UploadResumableAsync(api, "/F/Sub/inner.txt", Encoding.UTF8.GetBytes("inner"));
        await AwsModeHost.OkAsync(api, "/files/delete", new { path = "/F/Sub" });
        await AwsModeHost.UploadResumableAsync(api, files[1], Encoding.UTF8.GetBytes("edited"), "overwrite");

        var pages = new List<List<(string Tag, string Path)>>();
        for (var guard = 0; guard < 100; guard++)
        {
            var page = await AwsModeHost.OkAsync(api, "/files/list_folder/continue", new { cursor, limit = 1 });
            pages.Add(page["entries"]!.AsArray().OfType<JsonNode>().Select(e => (e["tag"]!.GetValue<string>(), e["path"]!.GetValue<string>())).ToList());
            cursor = page["cursor"]!.GetValue<string>();
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }
        }

        // The move's two halves (journalled in two shards) in one page; the folder's deletion (in every shard) in one page.
        var movePages = pages.Where(p => p.Contains(("deleted", source)) || p.Exists(e => e.Path == target)).ToList();
        var movePage = Assert.Single(movePages);
        Assert.Contains(("deleted", source), movePage);
        Assert.Contains(movePage, e => e.Path == target && e.Tag != "deleted");
        Assert.Single(pages, p => p.Contains(("deleted", "/F/Sub")));
        // Pages of one change until a batch spanning shards comes whole (a folder deletion pulls every shard up to it).
        Assert.True(pages.Count >= 2, "a page of one change at a time should take several pages");

        // Each path's changes once, in order: replaying the pages ends with the server's tree.
        var all = pages.SelectMany(p => p).ToList();
        Assert.Equal(2, all.Count(e => e.Path == files[1] && e.Tag != "deleted"));
        foreach (var file in files.Skip(2))
        {
            Assert.Single(all, e => e.Path == file);
        }

        var tree = new HashSet<string>(["/F"], StringComparer.OrdinalIgnoreCase);
        foreach (var (tag, path) in all)
        {
            if (tag == "deleted")
            {
                tree.RemoveWhere(p => p.Equals(path, StringComparison.OrdinalIgnoreCase) || p.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase));
            }
            else
            {
                tree.Add(path);
            }
        }

        var server = (await AwsModeHost.OkAsync(api, "/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>());
        Assert.Equal(server.Order(StringComparer.OrdinalIgnoreCase), tree.Order(StringComparer.OrdinalIgnoreCase));
    }
}
