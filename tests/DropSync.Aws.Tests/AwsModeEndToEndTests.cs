using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests;

[CollectionDefinition(Name)]
public sealed class AwsModeCollection : ICollectionFixture<DynamoDbServer>, ICollectionFixture<S3Server>
{
    public const string Name = "AWS mode";
}

/// <summary>
/// The whole API in AWS mode (DropSync:Mode=aws) in the test host, against DynamoDB Local and fauxqs (S3 + SQS): sign-up,
/// a resumable upload whose blocks go straight to presigned S3 URLs, download; a second device connected through a
/// $connect event receives the change through SQS → /events (as Lambda would post it) → fan-out → a signed @connections
/// POST, caught by a loopback listener standing in for API Gateway.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class AwsModeEndToEndTests(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private const string EventsSecret = "test-events-secret";
    private readonly ConnectionsListener _listener = new();
    private readonly InterruptingStore _interrupter = new();
    private AwsModeFactory? _factory;
    private AmazonSQSClient? _sqs;
    private string _queueUrl = "";
    private DynamoDbContext? _db;

    public async Task InitializeAsync()
    {
        _db = await dynamo.CreateTablesAsync();
        await DynamoDbSchema.CreateConnectionsAsync(_db.Client, _db.Tables, CancellationToken.None);
        var bucket = await s3.CreateBucketAsync();
        _sqs = new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = s3.Endpoint, AuthenticationRegion = "us-east-1" });
        _queueUrl = (await _sqs.CreateQueueAsync("dropsync-changes-" + Guid.NewGuid().ToString("N")[..8])).QueueUrl;
        _listener.Start();
        _factory = new AwsModeFactory(new Dictionary<string, string>
        {
            [AwsEnvironment.ModeSetting] = "aws",
            [AwsEnvironment.TablePrefix] = _db.Tables.Prefix,
            [AwsEnvironment.Bucket] = bucket,
            [AwsEnvironment.KmsKeyId] = "alias/dropsync-test",
            [AwsEnvironment.ChangeQueueUrl] = _queueUrl,
            [AwsEnvironment.WebSocketEndpoint] = _listener.BaseUrl + "prod",
            [AwsEnvironment.Region] = "us-east-1",
            [AwsEnvironment.DynamoDbEndpoint] = dynamo.Endpoint!,
            [AwsEnvironment.S3Endpoint] = s3.Endpoint!,
            [AwsEnvironment.SqsEndpoint] = s3.Endpoint!,
            [AwsEnvironment.MasterKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [AwsEnvironment.EventsSecret] = EventsSecret,
            ["DropSync:PasswordIterations"] = "1000",
        }, services => services.AddSingleton<IFileMetadataStore>(sp => _interrupter.Wrap(sp.GetRequiredService<DynamoDbFileMetadataStore>())));
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _sqs?.Dispose();
        _listener.Dispose();
    }

    [Fact]
    public async Task An_upload_by_presigned_S3_urls_downloads_and_reaches_another_device_through_SQS_and_connections()
    {
        var api = _factory!.CreateClient();
        var email = $"ada-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        var laptop = await LoginAsync(api, email, "laptop");
        var phone = await LoginAsync(api, email, "phone");

        // The phone connects: API Gateway's $connect event, as the Web Adapter passes it through.
        var connect = Sample("websocket-connect.json");
        connect["queryStringParameters"]!["access_token"] = phone.Token;
        connect["requestContext"]!["connectionId"] = "phoneConn1=";
        Assert.Equal(200, (await PostEventAsync(api, connect))["statusCode"]!.GetValue<int>());

        // A resumable upload: the blocks go to the presigned S3 URLs, never through the server.
        var content = RandomNumberGenerator.GetBytes(300_000);
        var blocks = new[] { content[..200_000], content[200_000..] };
        var declaration = new
        {
            path = "/Docs/report.bin",
            size = content.Length,
            blocks = blocks.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length }),
            mode = "add",
        };
        var state = await PostJsonAsync(api, laptop.Token, "/files/upload?uploadType=resumable", declaration);
        var missing = state["missing"]!.AsArray();
        Assert.Equal(2, missing.Count);
        using var raw = new HttpClient();
        foreach (var block in missing)
        {
            var url = block!["url"]!.GetValue<string>();
            Assert.StartsWith(s3.Endpoint!, url, StringComparison.Ordinal);
            Assert.Contains("X-Amz-Signature=", url, StringComparison.Ordinal);
            var bytes = blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block["hash"]!.GetValue<string>());
            await SignedBlockUploads.PutAsync(raw, block, bytes);
        }

        var finished = await PostJsonAsync(api, laptop.Token, "/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.Equal("/Docs/report.bin", finished["path"]!.GetValue<string>());

        using (var download = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/Docs/report.bin" }) })
        {
            download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", laptop.Token);
            using var response = await api.SendAsync(download);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        }

        // The commit published its changes to SQS; Lambda would hand them to /events as an SQS event.
        var messages = new List<Message>();
        for (var i = 0; i < 10 && messages.Count < 2; i++)
        {
            var received = await _sqs!.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
            messages.AddRange(received.Messages ?? []);
        }

        Assert.Contains(messages, m => m.Body.Contains("/Docs/report.bin", StringComparison.Ordinal));
        var sqsEvent = Sample("sqs-event.json");
        var template = sqsEvent["Records"]![0]!.DeepClone();
        var records = new JsonArray();
        foreach (var message in messages)
        {
            var record = template.DeepClone();
            record["messageId"] = message.MessageId;
            record["receiptHandle"] = message.ReceiptHandle;
            record["body"] = message.Body;
            records.Add(record);
        }

        sqsEvent["Records"] = records;
        var result = await PostEventAsync(api, sqsEvent);
        Assert.Empty(result["batchItemFailures"]!.AsArray());

        // The phone's connection got the file's change by a SigV4-signed POST to @connections.
        var pushed = _listener.Received.Where(r => r.Path == "/prod/%40connections/phoneConn1%3D").ToList();
        Assert.NotEmpty(pushed);
        Assert.All(pushed, p => Assert.StartsWith("AWS4-HMAC-SHA256 Credential=local/", p.Authorization, StringComparison.Ordinal));
        Assert.All(pushed, p => Assert.Contains("/execute-api/aws4_request", p.Authorization, StringComparison.Ordinal));
        var change = pushed.Select(p => JsonNode.Parse(p.Body)!).Single(b => (string?)b["path"] == "/Docs/report.bin");
        Assert.Equal("change", change["type"]!.GetValue<string>());
        Assert.Equal(finished["rev"]!.GetValue<string>(), change["rev"]!.GetValue<string>());
        Assert.Equal(laptop.DeviceId, change["device_id"]!.GetValue<string>());

        // The laptop has no connection; a disconnect forgets the phone's, and later pushes go nowhere.
        var disconnect = Sample("websocket-disconnect.json");
        disconnect["requestContext"]!["connectionId"] = "phoneConn1=";
        Assert.Equal(200, (await PostEventAsync(api, disconnect))["statusCode"]!.GetValue<int>());
        Assert.Null(await new Aws.Push.DynamoDbConnectionStore(_db!).GetAsync("phoneConn1=", CancellationToken.None));
    }

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

    private static async Task<(string Email, string Token)> RegisterAsync(HttpClient api, string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        return (email, (await LoginAsync(api, email, "laptop")).Token);
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

    [Fact]
    public async Task Events_need_the_secret_and_a_poison_message_is_reported_as_a_batch_item_failure()
    {
        var api = _factory!.CreateClient();
        using (var forged = new StringContent(Sample("eventbridge-scheduled.json").ToJsonString(), Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync(AwsEnvironment.EventsPath, forged)).StatusCode);
        }

        using (var viaHttpApi = new HttpRequestMessage(HttpMethod.Post, AwsEnvironment.EventsPath) { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            viaHttpApi.Headers.Add(AwsEnvironment.EventsSecretHeader, EventsSecret);
            viaHttpApi.Headers.Add("x-amzn-request-context", "{}");
            Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(viaHttpApi)).StatusCode);
        }

        // AWS's sample SQS event: its bodies ("test") are not changes, so both are reported failed (then retried, then dead-lettered).
        var result = await PostEventAsync(api, Sample("sqs-event.json"));
        Assert.Equal(
            ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"],
            result["batchItemFailures"]!.AsArray().Select(f => f!["itemIdentifier"]!.GetValue<string>()));

        // A $connect without a valid token is refused.
        Assert.Equal(401, (await PostEventAsync(api, Sample("websocket-connect.json")))["statusCode"]!.GetValue<int>());

        // The scheduled event runs collection and tiering.
        var scheduled = await PostEventAsync(api, Sample("eventbridge-scheduled.json"));
        Assert.NotNull(scheduled["collected_blocks"]);
        Assert.NotNull(scheduled["tagged_cold"]);
    }

    private static JsonNode Sample(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SampleEvents", name)))!;

    private static async Task<JsonNode> PostEventAsync(HttpClient api, JsonNode body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AwsEnvironment.EventsPath) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add(AwsEnvironment.EventsSecretHeader, EventsSecret);
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/events answered {response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
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

    private static async Task<(string Token, string DeviceId)> LoginAsync(HttpClient api, string email, string device)
    {
        using var response = await api.PostAsJsonAsync("/auth/login", new { email, password = "correct horse battery", device_name = device });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return (body["access_token"]!.GetValue<string>(), body["device_id"]!.GetValue<string>());
    }

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
