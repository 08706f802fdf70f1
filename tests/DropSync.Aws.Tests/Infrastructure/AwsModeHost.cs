using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// The API in AWS mode in the test host against DynamoDB Local and fauxqs (S3), with a loopback listener for
/// @connections, fresh tables and bucket per host; and the few calls the AWS-mode tests share.
/// </summary>
internal sealed class AwsModeHost : IAsyncDisposable
{
    public const string EventsSecret = "test-events-secret";
    public const string Password = "correct horse battery";

    private AwsModeHost(AwsModeFactory factory, ConnectionsListener listener, DynamoDbContext db, string s3Endpoint)
    {
        Factory = factory;
        Listener = listener;
        Db = db;
        S3Endpoint = s3Endpoint;
    }

    public AwsModeFactory Factory { get; }

    public ConnectionsListener Listener { get; }

    public DynamoDbContext Db { get; }

    public string S3Endpoint { get; }

    /// <summary>The @connections endpoint's stage path, as the gateway's requests name it.</summary>
    public const string Stage = "prod";

    public static async Task<AwsModeHost> StartAsync(
        DynamoDbServer dynamo, S3Server s3, IReadOnlyDictionary<string, string>? extra = null, Action<IServiceCollection>? configureServices = null)
    {
        var db = await dynamo.CreateTablesAsync();
        await DynamoDbSchema.CreateConnectionsAsync(db.Client, db.Tables, CancellationToken.None);
        var bucket = await s3.CreateBucketAsync();
        var listener = new ConnectionsListener();
        listener.Start();
        var settings = new Dictionary<string, string>
        {
            [AwsEnvironment.ModeSetting] = "aws",
            [AwsEnvironment.TablePrefix] = db.Tables.Prefix,
            [AwsEnvironment.Bucket] = bucket,
            [AwsEnvironment.WebSocketEndpoint] = listener.BaseUrl + Stage,
            [AwsEnvironment.WebSocketUrl] = "wss://abcd1234.execute-api.us-east-1.amazonaws.com/live",
            [AwsEnvironment.Region] = "us-east-1",
            [AwsEnvironment.DynamoDbEndpoint] = dynamo.Endpoint!,
            [AwsEnvironment.S3Endpoint] = s3.Endpoint!,
            [AwsEnvironment.SqsEndpoint] = s3.Endpoint!,
            [AwsEnvironment.MasterKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [AwsEnvironment.EventsSecret] = EventsSecret,
            ["DropSync:PasswordIterations"] = "1000",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return new AwsModeHost(new AwsModeFactory(settings, configureServices), listener, db, s3.Endpoint!);
    }

    public HttpClient CreateClient() => Factory.CreateClient();

    /// <summary>A new account signed in on one device: a client with its token, and the device id.</summary>
    public async Task<(HttpClient Api, string Email, string Token, string DeviceId)> SignUpAsync(string device = "laptop")
    {
        var api = CreateClient();
        var email = $"u-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/auth/register", new { email, password = Password })).StatusCode);
        var (token, deviceId) = await LoginAsync(api, email, device);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (api, email, token, deviceId);
    }

    public async Task<(string Token, string DeviceId)> LoginAsync(HttpClient api, string email, string device)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email, password = Password, device_name = device }) };
        request.Headers.Authorization = null;
        using var response = await api.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return (body["access_token"]!.GetValue<string>(), body["device_id"]!.GetValue<string>());
    }

    /// <summary>A file uploaded the resumable way: blocks of at most 4 MiB PUT to their presigned S3 URLs, then finish.</summary>
    public static async Task<JsonNode> UploadResumableAsync(HttpClient api, string path, byte[] content, string mode = "add")
    {
        const int blockSize = 4 * 1024 * 1024;
        var blocks = Enumerable.Range(0, (content.Length + blockSize - 1) / blockSize)
            .Select(i => content[(i * blockSize)..Math.Min(content.Length, (i + 1) * blockSize)]).ToList();
        var state = await OkAsync(api, "/files/upload?uploadType=resumable", new
        {
            path,
            size = content.Length,
            blocks = blocks.Select(b => new { hash = Convert.ToHexStringLower(SHA256.HashData(b)), size = b.Length }),
            mode,
        });
        using var raw = new HttpClient();
        foreach (var block in state["missing"]!.AsArray())
        {
            var bytes = blocks.First(b => Convert.ToHexStringLower(SHA256.HashData(b)) == block!["hash"]!.GetValue<string>());
            await SignedBlockUploads.PutAsync(raw, block!, bytes);
        }

        return await OkAsync(api, "/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
    }

    public static async Task<JsonNode> OkAsync(HttpClient api, string url, object body)
    {
        using var response = await api.PostAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url} answered {response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static JsonNode Sample(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SampleEvents", name)))!;

    /// <summary>Posts an event as the Lambda Web Adapter would (with the test's shared secret); answers the status and body.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> PostEventAsync(JsonNode body, string? requestContextHeader = null)
    {
        using var api = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, AwsEnvironment.EventsPath) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add(AwsEnvironment.EventsSecretHeader, EventsSecret);
        if (requestContextHeader is not null)
        {
            request.Headers.Add("x-amzn-request-context", requestContextHeader);
        }

        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>A $connect for a device's token, as the adapter passes API Gateway's event through; asserts it is accepted.</summary>
    public async Task ConnectAsync(string connectionId, string token)
    {
        var connect = Sample("websocket-connect.json");
        connect["queryStringParameters"]!["access_token"] = token;
        connect["requestContext"]!["connectionId"] = connectionId;
        var (status, body) = await PostEventAsync(connect);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(200, body!["statusCode"]!.GetValue<int>());
    }

    /// <summary>A $default message on a connection; answers the function's result.</summary>
    public async Task<JsonNode> MessageAsync(string connectionId, string body)
    {
        var message = Sample("websocket-message.json");
        message["requestContext"]!["connectionId"] = connectionId;
        message["body"] = body;
        var (status, result) = await PostEventAsync(message);
        Assert.Equal(HttpStatusCode.OK, status);
        return result!;
    }

    /// <summary>The @connections path of a connection, as the listener records it.</summary>
    public static string ConnectionPath(string connectionId) => $"/{Stage}/%40connections/{Uri.EscapeDataString(connectionId)}";

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        Listener.Dispose();
    }
}
