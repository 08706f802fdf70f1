using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using Microsoft.Extensions.Logging;

namespace DropSync.Aws.Hosting;

/// <summary>
/// Operator commands, sent as the payload of a direct invocation of the maintenance function (docs/deploy.md,
/// "Operations"): <c>aws lambda invoke --function-name &lt;maintenance&gt; --cli-binary-format raw-in-base64-out
/// --payload '{"dropsync_operation":"raise_shards","email":"team@example.com","shards":16}' out.json</c>. Who may run
/// one is who IAM lets invoke that function (<c>lambda:InvokeFunction</c> on it): no HTTP route reaches it, so it needs
/// no endpoint, token or row in the authorization matrix. Only the maintenance function runs them (its role may write
/// the Entries a raise copies); the other functions answer <c>{"error":"invalid_event"}</c>.
/// <list type="bullet">
/// <item><c>raise_shards</c>: <c>namespace_id</c> or <c>email</c> (the account's own namespace), and <c>shards</c>
/// (2–64): raises S (<see cref="DynamoDbFileMetadataStore.RaiseShardCountAsync"/>; only grows, finishes a raise that
/// stopped, idempotent) and answers <c>{"namespace_id","shards_before","shards"}</c>.</item>
/// <item><c>hot_namespaces</c>: the contention counters the automatic trigger reads, most contended first, and its
/// threshold: <c>{"threshold","namespaces":[{"namespace_id","retries","shards"}]}</c>.</item>
/// </list>
/// </summary>
public sealed partial class MaintenanceOperations(
    DynamoDbFileMetadataStore store,
    DynamoDbContentionLog contention,
    IAccountStore accounts,
    HotNamespaceOptions options,
    TimeProvider clock,
    ILogger<MaintenanceOperations> logger)
{
    /// <summary>The event's field that names the operation (no AWS event has it).</summary>
    public const string OperationField = "dropsync_operation";

    /// <summary>False in the http, websocket and fan-out functions.</summary>
    public bool Enabled { get; init; } = true;

    public async Task<JsonObject> RunAsync(JsonObject command, CancellationToken ct)
    {
        if (!Enabled)
        {
            return Refuse("Operator commands run in the maintenance function only.");
        }

        return (string?)command[OperationField] switch
        {
            "raise_shards" => await RaiseAsync(command, ct).ConfigureAwait(false),
            "hot_namespaces" => await HotAsync(ct).ConfigureAwait(false),
            _ => Refuse("Unknown operation: expected raise_shards or hot_namespaces."),
        };
    }

    private async Task<JsonObject> RaiseAsync(JsonObject command, CancellationToken ct)
    {
        if (command["shards"] is not JsonValue shardsValue || !shardsValue.TryGetValue<int>(out var shards) || shards is < 2 or > DynamoDbFileMetadataStore.MaxShards)
        {
            return Refuse($"shards must be a whole number from 2 to {DynamoDbFileMetadataStore.MaxShards}.");
        }

        var ns = (string?)command["namespace_id"];
        if (string.IsNullOrEmpty(ns) && (string?)command["email"] is { Length: > 0 } email)
        {
            ns = (await accounts.FindAccountByEmailAsync(email, ct).ConfigureAwait(false))?.RootNamespaceId;
            if (ns is null)
            {
                return Refuse("No account has that email.");
            }
        }

        if (string.IsNullOrEmpty(ns))
        {
            return Refuse("Name the namespace: namespace_id, or email for an account's own.");
        }

        var before = await store.GetShardLayoutAsync(ns, ct).ConfigureAwait(false);
        if (before.Migrating is { } unfinished && unfinished != shards)
        {
            return Refuse($"This namespace is being raised to {unfinished}; finish that first (raise_shards with shards = {unfinished}).");
        }

        var after = await store.RaiseShardCountAsync(ns, shards, null, ct).ConfigureAwait(false);
        await contention.ForgetAsync(ns, ct).ConfigureAwait(false);
        LogRaised(ns, before.Count, after);
        return new JsonObject { ["namespace_id"] = ns, ["shards_before"] = before.Count, ["shards"] = after };
    }

    private async Task<JsonObject> HotAsync(CancellationToken ct)
    {
        var list = new JsonArray();
        foreach (var (ns, retries) in (await contention.ReadAsync(clock.GetUtcNow(), ct).ConfigureAwait(false)).Take(100))
        {
            list.Add(new JsonObject { ["namespace_id"] = ns, ["retries"] = retries, ["shards"] = await store.GetShardCountAsync(ns, ct).ConfigureAwait(false) });
        }

        return new JsonObject { ["threshold"] = options.RetriesThreshold, ["namespaces"] = list };
    }

    private static JsonObject Refuse(string message) => new() { ["error"] = ErrorCodes.InvalidEvent, ["message"] = message };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operator raised namespace {NamespaceId} from {From} to {To} shards")]
    private partial void LogRaised(string namespaceId, int from, int to);
}
