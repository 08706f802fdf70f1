using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Aws.Tests;

/// <summary>
/// Operations bigger than one DynamoDB transaction, which AWS mode applies in several atomic batches: a folder moved,
/// copied and deleted; links following a folder moved in batches, and a move interrupted between two of them; a shared
/// folder with more members than one transaction takes, deleted.
/// </summary>
public sealed partial class AwsModeEndToEndTests
{
    [Fact]
    public async Task A_folder_bigger_than_one_transaction_moves_copies_and_deletes_in_atomic_batches()
    {
        var api = _factory!.CreateClient();
        var email = $"big-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        var (token, _) = await LoginAsync(api, email, "laptop");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        const int files = 60;
        for (var i = 0; i < files; i++)
        {
            using var body = new ByteArrayContent(Encoding.UTF8.GetBytes($"file {i}"));
            var path = $"/Big/{(i % 3 == 0 ? "sub/" : "")}f{i:D2}.txt";
            using var upload = await api.PostAsync($"/files/upload?uploadType=media&path={Uri.EscapeDataString(path)}", body);
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }

        var cursor = (await PostJsonAsync(api, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        // 61 entries, each about four writes: far more than one DynamoDB transaction takes.
        var moved = await PostJsonAsync(api, "/files/move", new { from_path = "/Big", to_path = "/Moved" });
        Assert.Equal("/Moved", moved["path"]!.GetValue<string>());
        Assert.Equal(files + 2, await CountAsync(api, "/Moved"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsJsonAsync("/files/get_metadata", new { path = "/Big" })).StatusCode);
        using (var download = await api.PostAsJsonAsync("/files/download", new { path = "/Moved/sub/f03.txt" }))
        {
            Assert.Equal("file 3", await download.Content.ReadAsStringAsync());
        }

        await PostJsonAsync(api, "/files/copy", new { from_path = "/Moved", to_path = "/Copy" });
        Assert.Equal(files + 2, await CountAsync(api, "/Copy"));
        await PostJsonAsync(api, "/files/delete", new { path = "/Moved" });
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsJsonAsync("/files/get_metadata", new { path = "/Moved" })).StatusCode);
        Assert.Equal(files + 2, await CountAsync(api, "/Copy"));

        // Every batch journalled what it changed: replaying the feed from before the move ends with exactly /Copy.
        var tree = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in (await PostJsonAsync(api, "/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray())
        {
            tree.Add(entry!["path"]!.GetValue<string>());
        }

        var replayed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < files; i++)
        {
            replayed.Add($"/Big/{(i % 3 == 0 ? "sub/" : "")}f{i:D2}.txt");
        }

        replayed.UnionWith(["/Big", "/Big/sub"]);
        var hasMore = true;
        while (hasMore)
        {
            var page = await PostJsonAsync(api, "/files/list_folder/continue", new { cursor, limit = 50 });
            foreach (var entry in page["entries"]!.AsArray())
            {
                var path = entry!["path"]!.GetValue<string>();
                if (entry["tag"]!.GetValue<string>() == "deleted")
                {
                    replayed.RemoveWhere(p => p.Equals(path, StringComparison.OrdinalIgnoreCase) || p.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase));
                }
                else
                {
                    replayed.Add(path);
                }
            }

            cursor = page["cursor"]!.GetValue<string>();
            hasMore = page["has_more"]!.GetValue<bool>();
        }

        Assert.Equal(tree.Order(StringComparer.OrdinalIgnoreCase), replayed.Order(StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Links_follow_a_folder_moved_in_several_batches_and_an_interrupted_move_leaves_each_link_where_its_item_is()
    {
        var api = _factory!.CreateClient();
        var email = $"links-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        var (token, _) = await LoginAsync(api, email, "laptop");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        const int files = 64;
        string NameOf(int i) => $"{(i % 3 == 0 ? "sub/" : "")}f{i:D2}.txt";
        for (var i = 0; i < files; i++)
        {
            using var body = new ByteArrayContent(Encoding.UTF8.GetBytes($"file {i}"));
            using var upload = await api.PostAsync($"/files/upload?uploadType=media&path={Uri.EscapeDataString("/Big/" + NameOf(i))}", body);
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }

        // A link to every fourth file, to the folders, and the most links one item may have to the first file.
        var links = new List<(string LinkId, string Token, int File)>();
        async Task LinkAsync(string path, int file)
        {
            var link = await PostJsonAsync(api, "/sharing/create_link", new { path });
            links.Add((link["link_id"]!.GetValue<string>(), new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..], file));
        }

        for (var i = 0; i < files; i += 4)
        {
            await LinkAsync("/Big/" + NameOf(i), i);
        }

        for (var n = 1; n < 10; n++)
        {
            await LinkAsync("/Big/" + NameOf(0), 0);
        }

        await LinkAsync("/Big", -1);
        await LinkAsync("/Big/sub", -1);

        // Each link's item, by the path list_links shows, must be what the link opens.
        async Task<Dictionary<string, string>> CheckLinksAsync()
        {
            var listed = (await PostJsonAsync(api, "/sharing/list_links", new { }))["links"]!.AsArray()
                .ToDictionary(l => l!["link_id"]!.GetValue<string>(), l => l!["path"]!.GetValue<string>());
            using var anonymous = _factory!.CreateClient();
            foreach (var (linkId, linkToken, file) in links)
            {
                var path = listed[linkId];
                using var opened = await anonymous.GetAsync($"/s/{linkToken}");
                Assert.True(opened.IsSuccessStatusCode, $"{path}: {await opened.Content.ReadAsStringAsync()}");
                if (file >= 0)
                {
                    using var viaLink = await anonymous.GetAsync($"/s/{linkToken}/download");
                    using var viaPath = await api.PostAsJsonAsync("/files/download", new { path });
                    Assert.Equal($"file {file}", await viaLink.Content.ReadAsStringAsync());
                    Assert.Equal($"file {file}", await viaPath.Content.ReadAsStringAsync());
                }
                else
                {
                    Assert.Equal("folder", (await PostJsonAsync(api, "/files/get_metadata", new { path }))["tag"]!.GetValue<string>());
                }
            }

            return listed;
        }

        // 65 entries and 27 links: several transactions, each moving its entries' links with them.
        await PostJsonAsync(api, "/files/move", new { from_path = "/Big", to_path = "/Moved" });
        var afterMove = await CheckLinksAsync();
        Assert.All(afterMove.Values, p => Assert.StartsWith("/Moved", p, StringComparison.Ordinal));
        Assert.Contains("/Moved/sub", afterMove.Values);

        // Moving back is interrupted after two batches by an edit of a file the third batch moves.
        _interrupter.InterruptAfter(2);
        using (var interrupted = await api.PostAsJsonAsync("/files/move", new { from_path = "/Moved", to_path = "/Back" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, interrupted.StatusCode);
            Assert.Contains("move_interrupted", await interrupted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var afterInterruption = await CheckLinksAsync();
        Assert.Contains(afterInterruption.Values, p => p.StartsWith("/Back/", StringComparison.Ordinal));
        Assert.Contains(afterInterruption.Values, p => p.StartsWith("/Moved/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_folder_shared_with_more_members_than_one_transaction_takes_is_deleted_and_the_share_ends_for_all()
    {
        var api = _factory!.CreateClient();
        var owner = await RegisterAsync(api, "owner");
        string rev;
        using (var upload = new HttpRequestMessage(HttpMethod.Post, "/files/upload?uploadType=media&path=%2FTeam%2Fplan.txt") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("the plan")) })
        {
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);
            using var response = await api.SendAsync(upload);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            rev = JsonNode.Parse(text)!["rev"]!.GetValue<string>();
        }

        // Each member ends as about five DynamoDB items (member items, mount, journal entry, head): 50 need several transactions.
        const int memberCount = 50;
        var members = new List<(string Token, string Cursor)>();
        for (var i = 0; i < memberCount; i++)
        {
            var member = await RegisterAsync(api, $"member{i}");
            await PostJsonAsync(api, owner.Token, "/sharing/add_member", new { path = "/Team", email = member.Email, role = i % 2 == 0 ? "editor" : "viewer" });
            var invitation = (await PostJsonAsync(api, member.Token, "/sharing/list_invitations", new { }))["entries"]!.AsArray().Single()!;
            await PostJsonAsync(api, member.Token, "/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() });
            var cursor = (await PostJsonAsync(api, member.Token, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
            members.Add((member.Token, cursor));
        }

        Assert.Equal(memberCount + 1, (await PostJsonAsync(api, owner.Token, "/sharing/list_members", new { path = "/Team" }))["members"]!.AsArray().Count);

        var deleted = await PostJsonAsync(api, owner.Token, "/files/delete", new { path = "/Team" });

        Assert.Equal("/Team", deleted["path"]!.GetValue<string>());
        foreach (var (token, cursor) in members)
        {
            Assert.Empty((await PostJsonAsync(api, token, "/sharing/list_shared_with_me", new { }))["entries"]!.AsArray());
            Assert.Empty((await PostJsonAsync(api, token, "/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray());
            var page = await PostJsonAsync(api, token, "/files/list_folder/continue", new { cursor });
            Assert.Contains(page["entries"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "/Team" && e["tag"]!.GetValue<string>() == "deleted");
        }

        // The folder and the share are gone for the owner too; the file comes back from its revision, no longer shared.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/files/get_metadata") { Content = JsonContent.Create(new { path = "/Team" }) })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);
            using var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        await PostJsonAsync(api, owner.Token, "/files/restore", new { path = "/Team/plan.txt", rev });
        using (var download = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/Team/plan.txt" }) })
        {
            download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);
            using var response = await api.SendAsync(download);
            Assert.Equal("the plan", await response.Content.ReadAsStringAsync());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/sharing/list_members") { Content = JsonContent.Create(new { path = "/Team" }) })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);
            using var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("not_shared", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static async Task<JsonNode> PostJsonAsync(HttpClient api, string url, object body)
    {
        using var response = await api.PostAsJsonAsync(url, body);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, $"{url}: {json.ToJsonString()}");
        return json;
    }

    private static async Task<int> CountAsync(HttpClient api, string folder) =>
        (await PostJsonAsync(api, "/files/list_folder", new { path = folder, recursive = true }))["entries"]!.AsArray().Count + 1;

    /// <summary>
    /// The DynamoDB metadata store, passed through; when armed, it changes an entry a later batch of a move expects just
    /// before that batch is applied, as another device editing the file at that moment would, so the move stops partway.
    /// </summary>
    private sealed class InterruptingStore : IFileMetadataStore
    {
        private IFileMetadataStore _inner = null!;
        private int _batchesBeforeInterrupting = -1;

        public int MaxWritesPerBatch => _inner.MaxWritesPerBatch;

        public IFileMetadataStore Wrap(IFileMetadataStore inner)
        {
            _inner = inner;
            return this;
        }

        /// <summary>Lets this many batches through, then edits the last entry the next one moves away.</summary>
        public void InterruptAfter(int batches) => _batchesBeforeInterrupting = batches;

        public async Task<BatchResult> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken)
        {
            if (_batchesBeforeInterrupting >= 0 && _batchesBeforeInterrupting-- == 0)
            {
                var moving = writes.OfType<MetadataWrite.PutEntry>().Last(w => w.Entry.IsDeleted).Entry;
                var current = (await _inner.GetEntryAsync(moving.NamespaceId, moving.PathKey, cancellationToken))!;
                var revision = (await _inner.GetRevisionAsync(current.NamespaceId, current.Rev, cancellationToken))!;
                var edited = current with { Rev = Guid.CreateVersion7().ToString("N") };
                var edit = await _inner.ApplyAsync(
                    [new MetadataWrite.PutEntry(edited, new EntryExpectation.HasRev(current.Rev)), new MetadataWrite.AddRevision(revision with { Rev = edited.Rev })],
                    cancellationToken);
                Assert.True(edit.Applied);
            }

            return await _inner.ApplyAsync(writes, cancellationToken);
        }

        public Task<FileEntry?> GetEntryAsync(string namespaceId, string pathKey, CancellationToken cancellationToken) => _inner.GetEntryAsync(namespaceId, pathKey, cancellationToken);

        public Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken) =>
            _inner.ListAsync(namespaceId, folderKey, recursive, cancellationToken);

        public Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken) =>
            _inner.ListDeletedAsync(namespaceId, folderKey, limit, cancellationToken);

        public Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken) =>
            _inner.ListRevisionsAsync(namespaceId, pathKey, limit, cancellationToken);

        public Task<FileRevision?> GetRevisionAsync(string namespaceId, string rev, CancellationToken cancellationToken) => _inner.GetRevisionAsync(namespaceId, rev, cancellationToken);

        public Task<IReadOnlyList<ChangeRecord>> ReadJournalAsync(string namespaceId, long afterSequence, int limit, CancellationToken cancellationToken) =>
            _inner.ReadJournalAsync(namespaceId, afterSequence, limit, cancellationToken);

        public Task<long> GetLatestSequenceAsync(string namespaceId, CancellationToken cancellationToken) => _inner.GetLatestSequenceAsync(namespaceId, cancellationToken);

        public Task CompactJournalAsync(string namespaceId, long throughSequence, CancellationToken cancellationToken) =>
            _inner.CompactJournalAsync(namespaceId, throughSequence, cancellationToken);

        public Task<long> GetCompactedThroughAsync(string namespaceId, CancellationToken cancellationToken) => _inner.GetCompactedThroughAsync(namespaceId, cancellationToken);
    }
}
