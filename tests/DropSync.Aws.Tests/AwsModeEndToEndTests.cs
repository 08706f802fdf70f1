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
using DropSync.Core.Ports;
using DropSync.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests;

/// <summary>
/// The whole API in AWS mode (DropSync:Mode=aws) in the test host, against DynamoDB Local and fauxqs (S3 + SQS): sign-up,
/// a resumable upload whose blocks go straight to presigned S3 URLs, download; a second device connected through a
/// $connect event receives the change through SQS → /events (as Lambda would post it) → fan-out → a signed @connections
/// POST, caught by a loopback listener standing in for API Gateway; the /events entry's guards. Operations bigger than one
/// transaction are the MultiBatch part.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed partial class AwsModeEndToEndTests(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
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
    public async Task A_block_list_sent_in_parts_gets_presigned_S3_urls_for_each_part_and_commits_whole()
    {
        var api = _factory!.CreateClient();
        var (_, token) = await RegisterAsync(api, "parts");
        var content = RandomNumberGenerator.GetBytes(500_000);
        var blocks = new[] { content[..200_000], content[200_000..350_000], content[350_000..] };
        object Specs(IEnumerable<byte[]> part) => part.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length });
        using var raw = new HttpClient();
        async Task PutAsync(JsonNode state)
        {
            foreach (var block in state["missing"]!.AsArray())
            {
                Assert.StartsWith(s3.Endpoint!, block!["url"]!.GetValue<string>(), StringComparison.Ordinal);
                await SignedBlockUploads.PutAsync(raw, block, blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block["hash"]!.GetValue<string>()));
            }
        }

        var begun = await PostJsonAsync(
            api, token, "/files/upload?uploadType=resumable", new { path = "/parts.bin", size = content.Length, blocks = Specs(blocks[..1]), mode = "add", more_blocks = true });
        var uploadId = begun["upload_id"]!.GetValue<string>();
        Assert.Single(begun["missing"]!.AsArray());
        await PutAsync(begun);
        var added = await PostJsonAsync(api, token, "/files/upload/blocks", new { upload_id = uploadId, index = 1, blocks = Specs(blocks[1..]) });
        Assert.Equal(2, added["missing"]!.AsArray().Count);
        await PutAsync(added);
        var finished = await PostJsonAsync(api, token, "/files/upload/finish", new { upload_id = uploadId });

        Assert.Equal(content.Length, finished["size"]!.GetValue<long>());
        using var download = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/parts.bin" }) };
        download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(download);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_upload_that_asks_for_b1_gets_the_block_list_hash_from_the_S3_checked_names_and_one_without_keeps_dropboxs()
    {
        var api = _factory!.CreateClient();
        var (_, token) = await RegisterAsync(api, "b1");
        var content = RandomNumberGenerator.GetBytes(500_000);
        var blocks = new[] { content[..200_000], content[200_000..350_000], content[350_000..] };
        var names = blocks.Select(b => SHA256.HashData(b)).ToList();
        object Specs(IEnumerable<byte[]> part) => part.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length });
        using var raw = new HttpClient();
        async Task PutAsync(JsonNode state)
        {
            foreach (var block in state["missing"]!.AsArray())
            {
                await SignedBlockUploads.PutAsync(raw, block!, blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block!["hash"]!.GetValue<string>()));
            }
        }

        var config = JsonNode.Parse(await api.GetStringAsync("/config"))!;
        Assert.True(config["block_list_content_hash"]!.GetValue<bool>());
        var begun = await PostJsonAsync(
            api, token, "/files/upload?uploadType=resumable",
            new { path = "/b1.bin", size = content.Length, blocks = Specs(blocks[..1]), mode = "add", more_blocks = true, content_hash_kind = "b1" });
        var uploadId = begun["upload_id"]!.GetValue<string>();
        await PutAsync(begun);
        await PutAsync(await PostJsonAsync(api, token, "/files/upload/blocks", new { upload_id = uploadId, index = 1, blocks = Specs(blocks[1..]) }));
        var finished = await PostJsonAsync(api, token, "/files/upload/finish", new { upload_id = uploadId });

        // SHA-256 over each block's 32-byte name and 8-byte little-endian length, computed here apart from the server.
        var listed = names.SelectMany((n, i) => n.Concat(BitConverter.GetBytes((long)blocks[i].Length))).ToArray();
        Assert.True(BitConverter.IsLittleEndian);
        var expected = "b1:" + Convert.ToHexStringLower(SHA256.HashData(listed));
        Assert.Equal(expected, finished["content_hash"]!.GetValue<string>());
        Assert.Equal(expected, (await PostJsonAsync(api, token, "/files/get_metadata", new { path = "/b1.bin" }))["content_hash"]!.GetValue<string>());
        using var download = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/b1.bin" }) };
        download.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(download);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());

        // The same blocks (held already: nothing to PUT) without the opt-in: Dropbox's hash, read back from S3 at the finish.
        var plain = await PostJsonAsync(
            api, token, "/files/upload?uploadType=resumable", new { path = "/plain.bin", size = content.Length, blocks = Specs(blocks), mode = "add" });
        Assert.Empty(plain["missing"]!.AsArray());
        var plainDone = await PostJsonAsync(api, token, "/files/upload/finish", new { upload_id = plain["upload_id"]!.GetValue<string>() });
        Assert.Equal(Core.Content.ContentHasher.Compute(content), plainDone["content_hash"]!.GetValue<string>());
    }

    private static async Task<(string Email, string Token)> RegisterAsync(HttpClient api, string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" })).StatusCode);
        return (email, (await LoginAsync(api, email, "laptop")).Token);
    }

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
}
