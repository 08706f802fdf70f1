using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>
/// A client generated from the OpenAPI document works against the running server: openapi-typescript makes the types,
/// tsc (strict) checks tests/openapi-client/usage.mts against them, and node runs it with openapi-fetch.
/// </summary>
public sealed class OpenApiClientTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-openapi-client-").FullName;

    [Fact]
    public async Task A_typescript_client_generated_from_the_document_compiles_and_talks_to_the_server()
    {
        await using var server = await ServerProcess.StartAsync(Path.Combine(_root, "data"), Path.Combine(_root, "keys"));
        var document = Path.Combine(_root, "openapi.json");
        using (var http = server.CreateClient())
        {
            await File.WriteAllTextAsync(document, await http.GetStringAsync("/openapi/v1.json"));
        }

        var project = Path.Combine(RepositoryPaths.Root(), "tests", "openapi-client");
        var generated = Path.Combine(project, "generated");
        if (Directory.Exists(generated))
        {
            Directory.Delete(generated, recursive: true);
        }

        await Succeeds("openapi-typescript", [document, "-o", Path.Combine(generated, "schema.d.ts")]);
        await Succeeds("tsc", ["-p", Path.Combine(project, "tsconfig.json")]);
        var output = await Succeeds(
            "node", [Path.Combine(generated, "out", "usage.mjs")], new Dictionary<string, string> { ["DROPSYNC_URL"] = server.BaseAddress.ToString().TrimEnd('/') });

        Assert.Contains("openapi client: 8 checks passed", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<string> Succeeds(string tool, string[] arguments, IDictionary<string, string>? environment = null)
    {
        var (exitCode, stdout, stderr) = await NodeTools.RunAsync(tool, arguments, environment);
        Assert.True(exitCode == 0, $"{tool} exited {exitCode}:\n{stdout}\n{stderr}");
        return stdout;
    }
}
