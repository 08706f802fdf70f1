using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DropSync.Api.Tests.AuthorizationMatrix;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>
/// Every operation of the server's own OpenAPI document × every kind of caller (<see cref="MatrixCaller"/>), each cell on
/// a fresh <see cref="MatrixWorld"/>, with the expected statuses as data in <see cref="MatrixRows"/>. Each caller gets
/// exactly the expected status, whoever is refused (or acts only in their own tree) leaves Alice's files, members,
/// links, devices and revisions exactly as they were, and a stranger's answer names nothing of Alice's.
/// </summary>
public sealed partial class AuthorizationMatrixTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Every_operation_of_the_document_has_exactly_one_row_and_every_row_an_operation()
    {
        var operations = await OperationsAsync();

        var rows = MatrixRows.Operations.GroupBy(r => r.OperationId).ToDictionary(g => g.Key, g => g.Count());
        var problems = new List<string>();
        problems.AddRange(operations.Where(o => !rows.ContainsKey(o.Key))
            .Select(o => $"{o.Value.Method} {o.Value.Path} ({o.Key}) has no row in MatrixRows.Operations"));
        problems.AddRange(rows.Where(r => !operations.ContainsKey(r.Key)).Select(r => $"row {r.Key} names no operation of the document"));
        problems.AddRange(rows.Where(r => r.Value > 1).Select(r => $"{r.Key} has {r.Value} rows; one each (other forms go in MatrixRows.Extras)"));
        foreach (var extra in MatrixRows.Extras)
        {
            if (extra.VariantOf is { } variantOf)
            {
                if (!operations.ContainsKey(variantOf))
                {
                    problems.Add($"extra \"{extra.Name}\" is a form of {variantOf}, which the document lacks");
                }

                continue;
            }

            var path = new Uri(new Uri("http://x"), extra.Url(null!)).AbsolutePath;
            if (operations.Values.FirstOrDefault(o => o.Method == extra.Method.Method && TemplateMatches(o.Path, path)) is { Path: not null } documented)
            {
                problems.Add($"extra \"{extra.Name}\" is in the document now ({documented.Method} {documented.Path}): make it a row of MatrixRows.Operations");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(operations.Count >= 43, $"the document lists only {operations.Count} operations");
    }

    public static TheoryData<string, MatrixCaller> Cells()
    {
        var data = new TheoryData<string, MatrixCaller>();
        foreach (var row in MatrixRows.Operations)
        {
            foreach (var caller in Enum.GetValues<MatrixCaller>())
            {
                data.Add(row.OperationId, caller);
            }
        }

        return data;
    }

    public static TheoryData<string, MatrixCaller> ExtraCells()
    {
        var data = new TheoryData<string, MatrixCaller>();
        foreach (var row in MatrixRows.Extras)
        {
            foreach (var caller in Enum.GetValues<MatrixCaller>())
            {
                data.Add(row.Name, caller);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Each_caller_gets_exactly_what_it_may(string operationId, MatrixCaller caller)
    {
        var operations = await OperationsAsync();
        Assert.True(operations.TryGetValue(operationId, out var operation), $"row {operationId} names no operation of the document");
        var row = MatrixRows.Operations.Single(r => r.OperationId == operationId);
        var world = await MatrixWorld.BuildAsync(factory);
        var spec = row.Request(world);
        var url = Regex.Replace(operation.Path, "{([^}]+)}", m => Uri.EscapeDataString(spec.Route[m.Groups[1].Value]))
            + (spec.Query.Length > 0 ? "?" + spec.Query : "");

        await CheckCellAsync(world, caller, $"{operation.Method} {operation.Path} ({operationId})", new HttpMethod(operation.Method), url, spec.Body(), row.Expected, row.Outcome, row.MayChangeOwnerState, row.UrlIsTheCredential);
    }

    [Theory]
    [MemberData(nameof(ExtraCells))]
    public async Task Each_caller_gets_exactly_what_it_may_beyond_the_document(string name, MatrixCaller caller)
    {
        var row = MatrixRows.Extras.Single(r => r.Name == name);
        var world = await MatrixWorld.BuildAsync(factory);

        await CheckCellAsync(world, caller, name, row.Method, row.Url(world), row.Body(world), row.Expected, (status, _) => status, MatrixRow.OwnerAndEditor, urlIsTheCredential: false);
    }

    private static async Task CheckCellAsync(
        MatrixWorld world, MatrixCaller caller, string name, HttpMethod method, string url, HttpContent? content, Statuses expected,
        Func<int, JsonNode, int> outcome, IReadOnlySet<MatrixCaller> mayChange, bool urlIsTheCredential)
    {
        var before = await world.OwnerStateAsync();

        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await world.As(caller).Http.SendAsync(request);
        var isJson = response.Content.Headers.ContentType?.MediaType == "application/json";
        var body = isJson ? await ApiClient.ReadJsonAsync(response) : new JsonObject();
        var status = outcome((int)response.StatusCode, body);

        Assert.True(status == expected.For(caller), $"{name} as {caller}: expected {expected.For(caller)}, got {status}: {body.ToJsonString()}");
        if (!(mayChange.Contains(caller) && status < 300))
        {
            Assert.Equal(before, await world.OwnerStateAsync());
        }

        // A stranger learns nothing of Alice's (a shared link or signed block URL, by design, shows its content to anyone).
        if (caller == MatrixCaller.Stranger && !urlIsTheCredential)
        {
            var text = body.ToJsonString();
            Assert.DoesNotContain(world.Owner.Email!, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("doc.txt\",\"name", text, StringComparison.Ordinal);
        }
    }

    /// <summary>The document's operations by operationId: method (upper case) and path template.</summary>
    private async Task<Dictionary<string, (string Method, string Path)>> OperationsAsync()
    {
        using var anonymous = factory.CreateClient();
        var document = (await anonymous.GetFromJsonAsync<JsonNode>("/openapi/v1.json"))!;
        var operations = new Dictionary<string, (string, string)>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var id = operation?["operationId"]?.GetValue<string>() ?? $"{method.ToUpperInvariant()} {path} (no operationId)";
                Assert.True(operations.TryAdd(id, (method.ToUpperInvariant(), path)), $"operationId {id} is used twice");
            }
        }

        return operations;
    }

    private static bool TemplateMatches(string template, string path) =>
        Regex.IsMatch(path, "^" + TemplateSegment().Replace(Regex.Escape(template), "[^/]+") + "/?$");

    [GeneratedRegex(@"\\\{[^}]+}")]
    private static partial Regex TemplateSegment();
}
