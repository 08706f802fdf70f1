using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Errors;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>
/// The OpenAPI document is a contract a client can be generated from: redocly's recommended rules find nothing in it,
/// every operation names its answer's schema and its security, and the error codes are the core's.
/// </summary>
public sealed class OpenApiContractTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    /// <summary>The operations that need no access token (a shared link's and a block URL's token is in the URL).</summary>
    private static readonly HashSet<string> Anonymous =
    [
        "GET /config", "POST /auth/register", "POST /auth/login", "PUT /blocks/{hash}", "GET /blocks/{hash}", "GET /blocks/run", "PUT /blocks/run",
        "GET /s/{token}", "GET /s/{token}/download", "POST /s/{token}/get_blocks",
    ];

    [Fact]
    public async Task Redocly_lint_with_the_recommended_rules_finds_no_error_and_no_warning()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("dropsync-openapi-").FullName, "openapi.json");
        // As a deployed server is asked: the document's server URL is the origin the request came to, and redocly
        // rightly warns about a document that points at localhost.
        using (var anonymous = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://files.dropsync.test") }))
        {
            await File.WriteAllTextAsync(file, await anonymous.GetStringAsync("/openapi/v1.json"));
        }

        var config = Path.Combine(RepositoryPaths.Root(), "redocly.yaml");
        var (exitCode, stdout, stderr) = await NodeTools.RunAsync("redocly", ["lint", file, "--config", config, "--format=json"]);

        var report = JsonNode.Parse(stdout[stdout.IndexOf('{', StringComparison.Ordinal)..])!;
        var problems = string.Join("\n", report["problems"]!.AsArray().Select(p => $"{p!["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}"));
        Assert.True(exitCode == 0, $"redocly lint exited {exitCode}: {problems}\n{stderr}");
        Assert.True(report["totals"]!["errors"]!.GetValue<int>() == 0, problems);
        Assert.True(report["totals"]!["warnings"]!.GetValue<int>() == 0, problems);
        Assert.Equal("2.77.0", report["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_operation_names_its_answer_schema_and_its_security()
    {
        using var anonymous = factory.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        Assert.Equal("http", document["components"]!["securitySchemes"]!["bearer"]!["type"]!.GetValue<string>());
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => (Name: $"{op.Key.ToUpperInvariant()} {path.Key}", Operation: op.Value!)))
            .ToList();
        Assert.True(operations.Count >= 37, $"{operations.Count} operations");
        foreach (var (name, operation) in operations)
        {
            Assert.False(string.IsNullOrEmpty(operation["operationId"]?.GetValue<string>()), $"{name} has no operationId");
            var security = operation["security"]?.AsArray();
            Assert.True(security is not null, $"{name} does not say its security");
            Assert.True(
                security!.Count == 0 == Anonymous.Contains(name),
                $"{name}: security {security.ToJsonString()}; anonymous operations are {string.Join(", ", Anonymous)}");
            if (name == "GET /notifications/ws")
            {
                Assert.NotNull(operation["responses"]!["101"]);
                continue;
            }

            var success = operation["responses"]!.AsObject().Where(r => r.Key.StartsWith('2')).ToList();
            Assert.True(success.Count > 0, $"{name} has no 2xx answer");
            foreach (var (status, response) in success)
            {
                var content = response!["content"]?.AsObject().SingleOrDefault();
                Assert.True(content?.Value?["schema"] is not null, $"{name} {status} has no schema");
            }
        }
    }

    [Fact]
    public async Task The_error_schema_lists_the_core_error_codes_and_not_folder_is_always_409()
    {
        using var anonymous = factory.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        var codes = document["components"]!["schemas"]!["Error"]!["properties"]!["error"]!["enum"]!.AsArray().Select(c => c!.GetValue<string>());
        Assert.Equal(ErrorCodes.All.Keys.Order(StringComparer.Ordinal), codes);
        Assert.Equal(ErrorKind.Conflict, ErrorCodes.KindOf(ErrorCodes.NotFolder));
        Assert.Equal(ErrorKind.Internal, ErrorCodes.KindOf(ErrorCodes.InternalError));
        Assert.Throws<ArgumentException>(() => ErrorCodes.KindOf("no_such_code"));
    }
}
