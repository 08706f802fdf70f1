using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Aws.Push;
using DropSync.Aws.Sqs;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;
using DropSync.Core.Model;
using Microsoft.Extensions.Logging;

namespace DropSync.Aws.Hosting;

/// <summary>The kinds of Lambda event <see cref="LambdaEventHandler"/> recognises.</summary>
public enum LambdaEventKind
{
    Unknown,
    Sqs,
    WebSocketConnect,
    WebSocketDisconnect,
    WebSocketMessage,
    Scheduled,

    /// <summary>An operator's command to the maintenance function (<see cref="MaintenanceOperations"/>).</summary>
    Operation,
}

/// <summary>
/// The non-HTTP Lambda events of AWS mode, as the Lambda Web Adapter passes them through (the raw event JSON): recognises
/// the shape and hands each to a thin handler. The answer is the Lambda function's result:
/// <list type="bullet">
/// <item>SQS (fan-out): each record's change goes through <see cref="ChangeFanout"/>; the ids of records that failed are
/// answered as <c>{"batchItemFailures":[{"itemIdentifier":…}]}</c> (partial batch response), so only those are retried
/// and a poison message reaches the DLQ by the queue's maxReceiveCount. Re-delivery is harmless: pushes carry sequence
/// numbers devices already have, notifications are recorded once per id.</item>
/// <item>WebSocket $connect: the token (<c>access_token</c> query parameter or <c>Authorization: Bearer</c>) must name a
/// live device, else <c>{"statusCode":401}</c> refuses the connection; the connection is recorded with a TTL.
/// $disconnect forgets it; a $default message (hello, ping) is answered by <see cref="WebSocketMessages"/>.</item>
/// <item>Scheduled (EventBridge): <see cref="MaintenanceRun"/> (one at a time: retention, garbage collection, cold tiering).</item>
/// <item>An operator's command (<c>{"dropsync_operation":…}</c>, invoked directly): <see cref="MaintenanceOperations"/>.</item>
/// </list>
/// </summary>
public sealed partial class LambdaEventHandler(
    AccountService accounts,
    ChangeFanout fanout,
    DynamoDbConnectionStore connections,
    WebSocketMessages messages,
    MaintenanceRun maintenance,
    MaintenanceOperations operations,
    TimeProvider time,
    ILogger<LambdaEventHandler> logger)
{
    public static LambdaEventKind Recognise(JsonNode? node)
    {
        if (node is not JsonObject root)
        {
            return LambdaEventKind.Unknown;
        }

        if (root[MaintenanceOperations.OperationField] is JsonValue)
        {
            return LambdaEventKind.Operation;
        }

        if (root["Records"] is JsonArray records && records.Count > 0 && (string?)records[0]?["eventSource"] == "aws:sqs")
        {
            return LambdaEventKind.Sqs;
        }

        if (root["requestContext"] is JsonObject context && context["connectionId"] is not null)
        {
            return ((string?)context["eventType"]) switch
            {
                "CONNECT" => LambdaEventKind.WebSocketConnect,
                "DISCONNECT" => LambdaEventKind.WebSocketDisconnect,
                "MESSAGE" => LambdaEventKind.WebSocketMessage,
                _ => LambdaEventKind.Unknown,
            };
        }

        return (string?)root["source"] == "aws.events" && (string?)root["detail-type"] == "Scheduled Event"
            ? LambdaEventKind.Scheduled
            : LambdaEventKind.Unknown;
    }

    /// <summary>Handles one event; answers the function's result, or null for an event it does not know.</summary>
    public async Task<JsonObject?> HandleAsync(JsonNode? node, CancellationToken ct)
    {
        var kind = Recognise(node);
        return kind switch
        {
            LambdaEventKind.Sqs => await HandleSqsAsync((JsonArray)node!["Records"]!, ct).ConfigureAwait(false),
            LambdaEventKind.WebSocketConnect => await ConnectAsync(node!.AsObject(), ct).ConfigureAwait(false),
            LambdaEventKind.WebSocketDisconnect => await DisconnectAsync(node!.AsObject(), ct).ConfigureAwait(false),
            LambdaEventKind.WebSocketMessage => await messages.AnswerAsync(node!.AsObject(), ct).ConfigureAwait(false),
            LambdaEventKind.Scheduled => await maintenance.RunAsync(ct).ConfigureAwait(false),
            LambdaEventKind.Operation => await operations.RunAsync(node!.AsObject(), ct).ConfigureAwait(false),
            _ => null,
        };
    }

    private async Task<JsonObject> HandleSqsAsync(JsonArray records, CancellationToken ct)
    {
        var failures = new JsonArray();
        foreach (var record in records)
        {
            // A record without a messageId cannot be reported alone; an empty itemIdentifier makes Lambda treat the
            // whole batch as failed (and retry it), which is what such a record needs.
            // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
            var item = record as JsonObject;
            var messageId = item?["messageId"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : "";
            try
            {
                var change = ChangeMessages.Deserialize(item?["body"] is JsonValue body && body.TryGetValue<string>(out var json) ? json : "");
                await fanout.DispatchAsync(change, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogRecordFailed(e, messageId);
                failures.Add(new JsonObject { ["itemIdentifier"] = messageId });
            }
        }

        return new JsonObject { ["batchItemFailures"] = failures };
    }

    private async Task<JsonObject> ConnectAsync(JsonObject root, CancellationToken ct)
    {
        var connectionId = (string)root["requestContext"]!["connectionId"]!;
        var token = (string?)root["queryStringParameters"]?["access_token"];
        if (string.IsNullOrEmpty(token) && HeaderValue(root, "Authorization") is { } authorization &&
            authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = authorization["Bearer ".Length..].Trim();
        }

        var caller = token is null ? null : await accounts.AuthenticateAsync(token, ct).ConfigureAwait(false);
        if (caller is null)
        {
            return new JsonObject { ["statusCode"] = 401 };
        }

        var echo = string.Equals((string?)root["queryStringParameters"]?["echo"], "true", StringComparison.OrdinalIgnoreCase);
        await connections.PutAsync(
            new DeviceConnectionRecord(connectionId, caller.UserId, caller.DeviceId, echo, time.GetUtcNow() + DynamoDbConnectionStore.MaxConnectionLifetime), ct).ConfigureAwait(false);
        return new JsonObject { ["statusCode"] = 200 };
    }

    private async Task<JsonObject> DisconnectAsync(JsonObject root, CancellationToken ct)
    {
        await connections.DeleteAsync((string)root["requestContext"]!["connectionId"]!, ct).ConfigureAwait(false);
        return new JsonObject { ["statusCode"] = 200 };
    }

    private static string? HeaderValue(JsonObject root, string name)
    {
        if (root["headers"] is not JsonObject headers)
        {
            return null;
        }

        foreach (var (key, value) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return (string?)value;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fan-out of SQS message {MessageId} failed; it will be retried (then dead-lettered)")]
    private partial void LogRecordFailed(Exception error, string messageId);
}
