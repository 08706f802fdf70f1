using System.Reflection;
using System.Text;
using DropSync.Api.Hosting;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Errors;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>The web app's error codes (assets/js/error-codes.js) are the core's list, each with the status the API answers it with.</summary>
public sealed class ErrorCodesModuleTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string ModulePath => Path.Combine(RepositoryPaths.Root(), "functions", "DropSync.Web", "wwwroot", "assets", "js", "error-codes.js");

    [Fact]
    public async Task The_web_apps_module_of_error_codes_is_the_core_list_with_each_status()
    {
        var expected = ExpectedModule();

        var actual = await File.ReadAllTextAsync(ModulePath);

        Assert.True(expected == actual, $"assets/js/error-codes.js differs from DropSync.Core.Errors.ErrorCodes; it should read:\n{expected}");
        using var http = factory.CreateClient();
        using var served = await http.GetAsync("/assets/js/error-codes.js");
        Assert.Equal("text/javascript", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, await served.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Every_code_has_one_kind_and_a_distinct_value()
    {
        var constants = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();

        Assert.Equal(constants.Count, ErrorCodes.All.Count);
        Assert.All(constants, f => Assert.NotNull(f.GetCustomAttribute<ErrorCodeAttribute>()));
        Assert.Equal(409, ErrorResponses.StatusOf(ErrorCodes.KindOf(ErrorCodes.NotFolder)));
        Assert.Equal(500, ErrorResponses.StatusOf(ErrorCodes.KindOf(ErrorCodes.InternalError)));
    }

    [Fact]
    public void Every_error_the_code_raises_names_its_code_from_ErrorCodes_with_the_codes_kind()
    {
        var root = RepositoryPaths.Root();
        var sources = new[] { "functions", "client" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        var literal = new System.Text.RegularExpressions.Regex(@"Errors\.(BadRequest|NotFound|Conflict|Forbidden|TooLarge|Gone)\(\s*""|ErrorKind\.\w+,\s*""");
        var raised = new System.Text.RegularExpressions.Regex(@"Errors\.(?<kind>BadRequest|NotFound|Conflict|Forbidden|TooLarge|Gone)\(\s*(?:\w+\.)*ErrorCodes\.(?<code>\w+)|ErrorKind\.(?<kind>\w+),\s*(?:\w+\.)*ErrorCodes\.(?<code>\w+)");
        var problems = new List<string>();
        var raisedCount = 0;
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            problems.AddRange(literal.Matches(text).Select(m => $"{Path.GetRelativePath(root, file)}: a code written as a string literal: {m.Value}"));
            foreach (System.Text.RegularExpressions.Match m in raised.Matches(text))
            {
                raisedCount++;
                var kind = m.Groups["kind"].Value == "TooLarge" ? ErrorKind.PayloadTooLarge : Enum.Parse<ErrorKind>(m.Groups["kind"].Value);
                var code = (string?)typeof(ErrorCodes).GetField(m.Groups["code"].Value)?.GetRawConstantValue();
                if (code is null || ErrorCodes.KindOf(code) != kind)
                {
                    problems.Add($"{Path.GetRelativePath(root, file)}: {m.Value} raises {m.Groups["code"].Value} as {kind}, but ErrorCodes gives it {(code is null ? "nothing" : ErrorCodes.KindOf(code))}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(raisedCount > 100, $"only {raisedCount} raised errors found; the scan is not finding them");
    }

    /// <summary>The module's text, made from ErrorCodes: the constants' names and values, then each value's status.</summary>
    private static string ExpectedModule()
    {
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (Name: f.Name, Code: (string)f.GetRawConstantValue()!))
            .OrderBy(c => c.Code, StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder();
        text.Append("// The API's error codes (the \"error\" of every error body), as DropSync.Core.Errors.ErrorCodes lists them, each with\n");
        text.Append("// its one HTTP status. Keep this file equal to that list: tests/DropSync.Api.Tests/ErrorCodesModuleTests.cs compares\n");
        text.Append("// them and prints this file's expected text when they differ.\n");
        text.Append("export const ErrorCodes = Object.freeze({\n");
        foreach (var (name, code) in codes)
        {
            text.Append($"  {name}: '{code}',\n");
        }

        text.Append("});\n\n/** The HTTP status each code always comes with. */\nexport const ErrorStatus = Object.freeze({\n");
        foreach (var (_, code) in codes)
        {
            text.Append($"  {code}: {ErrorResponses.StatusOf(ErrorCodes.KindOf(code))},\n");
        }

        text.Append("});\n");
        return text.ToString();
    }
}
