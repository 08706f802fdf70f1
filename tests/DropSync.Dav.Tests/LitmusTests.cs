using System.Text.RegularExpressions;

namespace DropSync.Dav.Tests;

/// <summary>
/// litmus (Debian's litmus 0.13, the WebDAV compliance suite) against /dav/ of a real server: its basic, copymove,
/// props, locks and http suites must all run with no failure.
/// </summary>
[Collection("dav server")]
public sealed partial class LitmusTests(DavServerFixture fixture)
{
    private static readonly string[] Suites = ["basic", "copymove", "props", "locks", "http"];

    [GeneratedRegex(@"<- summary for `(?<suite>\w+)': of (?<run>\d+) tests run: (?<passed>\d+) passed, (?<failed>\d+) failed")]
    private static partial Regex SummaryLine();

    [Fact]
    public async Task Litmus_passes_basic_copymove_props_locks_and_http_with_no_failure()
    {
        var litmus = ExternalTools.Require("litmus");
        var account = await fixture.NewAccountAsync();
        var work = Directory.CreateTempSubdirectory("dropsync-litmus-").FullName; // litmus writes its debug.log here
        try
        {
            var (_, output) = await ExternalTools.RunAsync(
                litmus, [fixture.DavUrl.ToString(), account.Email, account.AppPassword], TimeSpan.FromMinutes(5), work,
                new Dictionary<string, string> { ["TESTS"] = string.Join(' ', Suites) });
            var summaries = SummaryLine().Matches(output).ToDictionary(m => m.Groups["suite"].Value);
            foreach (var suite in Suites)
            {
                Assert.True(summaries.TryGetValue(suite, out var summary), $"litmus printed no summary for {suite}:\n{output}");
                Assert.True(summary.Groups["failed"].Value == "0" && summary.Groups["run"].Value == summary.Groups["passed"].Value, $"{summary.Value}\n{output}");
                Assert.True(int.Parse(summary.Groups["run"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, summary.Value);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
