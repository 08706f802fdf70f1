using System.Net;
using System.Text.Json.Nodes;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Aws.Tests;

/// <summary>
/// /events as the Lambda Web Adapter uses it: SQS record failures are a 200 with batchItemFailures whatever the record
/// looks like; an event that fails as a whole answers 5xx (AWS_LWA_ERROR_STATUS_CODES makes it a function error, so
/// Lambda retries it); a pass-through event's "null" request context is accepted; $default messages get the live feed
/// protocol's answers.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class LambdaEventProtocolTests(DynamoDbServer dynamo, S3Server s3) : AwsModeHostTest(dynamo, s3)
{

    [Fact]
    public async Task Every_bad_sqs_record_is_a_batch_item_failure_in_a_200()
    {
        var sqs = AwsModeHost.Sample("sqs-event.json");
        var template = sqs["Records"]![0]!;
        var notJson = template.DeepClone();
        notJson["messageId"] = "not-json";
        notJson["body"] = "{{{";
        var notAChange = template.DeepClone();
        notAChange["messageId"] = "not-a-change";
        notAChange["body"] = """{"hello":"world"}""";
        var noId = template.DeepClone();
        noId.AsObject().Remove("messageId");
        noId["body"] = "{}";
        sqs["Records"] = new JsonArray(notJson, notAChange, noId, JsonValue.Create(42));

        var (status, result) = await Host.PostEventAsync(sqs);
        Assert.Equal(HttpStatusCode.OK, status);

        // A record with no id is reported with an empty identifier, which makes Lambda retry the whole batch.
        Assert.Equal(["not-json", "not-a-change", "", ""], result!["batchItemFailures"]!.AsArray().Select(f => f!["itemIdentifier"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_event_that_fails_as_a_whole_answers_500()
    {
        // The metadata tables are unreachable: the scheduled job cannot run at all.
        await using var broken = await AwsModeHost.StartAsync(Dynamo, S3, new Dictionary<string, string>
        {
            [AwsEnvironment.DynamoDbEndpoint] = $"http://127.0.0.1:{LocalPorts.Free()}",
        });
        var (status, body) = await broken.PostEventAsync(AwsModeHost.Sample("eventbridge-scheduled.json"));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("event_failed", body!["error"]!.GetValue<string>());

        var (connectStatus, _) = await broken.PostEventAsync(AwsModeHost.Sample("websocket-connect.json"));
        Assert.Equal(HttpStatusCode.InternalServerError, connectStatus);
    }

    [Fact]
    public async Task A_pass_through_events_null_request_context_is_accepted_and_an_http_one_is_not()
    {
        var scheduled = AwsModeHost.Sample("eventbridge-scheduled.json");
        var (passThrough, result) = await Host.PostEventAsync(scheduled, requestContextHeader: "null");
        Assert.Equal(HttpStatusCode.OK, passThrough);
        Assert.NotNull(result!["collected_blocks"]);

        var (viaHttpApi, _) = await Host.PostEventAsync(scheduled, requestContextHeader: """{"http":{"method":"POST","path":"/events"}}""");
        Assert.Equal(HttpStatusCode.NotFound, viaHttpApi);
    }

    [Fact]
    public async Task A_websocket_hello_is_answered_with_the_device_and_cursor_and_ping_with_pong()
    {
        var (api, email, _, _) = await Host.SignUpAsync("laptop");
        var (phoneToken, phoneId) = await Host.LoginAsync(Host.CreateClient(), email, "phone");
        await Host.ConnectAsync("phone=", phoneToken);
        var latest = await AwsModeHost.OkAsync(api, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true });

        var hello = await Host.MessageAsync("phone=", """{"action":"hello"}""");
        Assert.Equal(200, hello["statusCode"]!.GetValue<int>());
        var body = JsonNode.Parse(hello["body"]!.GetValue<string>())!;
        Assert.Equal("hello", body["type"]!.GetValue<string>());
        Assert.Equal(phoneId, body["device_id"]!.GetValue<string>());
        Assert.Equal(latest["cursor"]!.GetValue<string>(), body["cursor"]!.GetValue<string>());

        var pong = await Host.MessageAsync("phone=", """{"action":"ping"}""");
        Assert.Equal(200, pong["statusCode"]!.GetValue<int>());
        Assert.Equal("""{"type":"pong"}""", pong["body"]!.GetValue<string>());

        foreach (var message in new[] { """{"action":"subscribe"}""", "not json", "", "[1]" })
        {
            var unknown = await Host.MessageAsync("phone=", message);
            Assert.Equal(200, unknown["statusCode"]!.GetValue<int>());
            Assert.Equal("""{"type":"error","error":"unknown_action"}""", unknown["body"]!.GetValue<string>());
        }

        // A connection nobody recorded (expired, or never connected) is told it is gone, and closed.
        var gone = await Host.MessageAsync("stranger=", """{"action":"hello"}""");
        Assert.Equal(410, gone["statusCode"]!.GetValue<int>());
        Assert.Contains(Host.Listener.Received, r => r.Method == "DELETE" && r.Path == AwsModeHost.ConnectionPath("stranger="));
    }
}
