using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.Stack;
using DropSync.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DropSync.AwsHarness.Lambda;

/// <summary>
/// The AWS Parameters and Secrets Lambda Extension, on loopback, one port per function: <c>GET
/// /secretsmanager/get?secretId={id}</c> with the function's session token in <c>X-Aws-Parameters-Secrets-Token</c>
/// answers what Secrets Manager's GetSecretValue answers. The extension calls Secrets Manager with the function's
/// role, so each read is recorded as the function's secretsmanager:GetSecretValue (and kms:Decrypt on the secret's
/// customer-managed key, which Secrets Manager uses with the caller's permissions).
/// https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
/// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
/// https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
/// </summary>
public sealed class SecretsExtension : IAsyncDisposable
{
    private readonly Dictionary<int, (string Function, string SessionToken)> _functions = [];
    private readonly Dictionary<string, int> _ports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string? KmsKeyArn, string Value)> _secrets = new(StringComparer.Ordinal);
    private readonly AwsCallLog _log;
    private WebApplication? _app;

    public SecretsExtension(DeployedTemplate template, AwsCallLog log)
    {
        ArgumentNullException.ThrowIfNull(template);
        _log = log;
        foreach (var (id, properties) in template.OfType("AWS::SecretsManager::Secret"))
        {
            var key = properties["KmsKeyId"] is { } kms ? template.Resolver.ResolveString(kms) : null;

            // The stack's generator makes 64 lower-case hex digits; so does the harness.
            _secrets[template.Resolver.Ref(id)] = (key, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        }
    }

    /// <summary>The port the extension listens on for <paramref name="function"/> (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT).</summary>
    public int Port(string function) => _ports[function];

    public string SecretValue(string arn) => _secrets[arn].Value;

    public async Task StartAsync(IEnumerable<(string Function, string SessionToken)> functions)
    {
        foreach (var (function, token) in functions)
        {
            var port = LocalPorts.Free();
            _functions[port] = (function, token);
            _ports[function] = port;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in _functions.Keys)
            {
                // The app asks http://localhost:{port}: answer on both loopback addresses.
                kestrel.ListenLocalhost(port);
            }
        });
        _app = builder.Build();
        _app.MapGet("/secretsmanager/get", Get);
        await _app.StartAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IResult Get(HttpContext context)
    {
        var (function, token) = _functions[context.Connection.LocalPort];
        if (context.Request.Headers["X-Aws-Parameters-Secrets-Token"].ToString() != token)
        {
            // The extension refuses a request without the function's AWS_SESSION_TOKEN.
            return Results.Text("{\"message\":\"Unauthorized\"}", "application/json", statusCode: (int)HttpStatusCode.Unauthorized);
        }

        var secretId = context.Request.Query["secretId"].ToString();
        _log.Record(new AwsCall(function, "secretsmanager:GetSecretValue", secretId));
        if (!_secrets.TryGetValue(secretId, out var secret))
        {
            return Results.Text(
                "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Secrets Manager can't find the specified secret.\"}",
                "application/json", statusCode: (int)HttpStatusCode.BadRequest);
        }

        if (secret.KmsKeyArn is not null)
        {
            _log.Record(new AwsCall(function, "kms:Decrypt", secret.KmsKeyArn));
        }

        var name = secretId.Split(":secret:", 2)[1];
        return Results.Text(new JsonObject
        {
            ["ARN"] = secretId,
            ["Name"] = name[..name.LastIndexOf('-')],
            ["VersionId"] = "00000000-0000-0000-0000-000000000001",
            ["SecretString"] = secret.Value,
            ["VersionStages"] = new JsonArray("AWSCURRENT"),
            ["CreatedDate"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        }.ToJsonString(), "application/json");
    }
}
