using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Tests;

/// <summary>The Lambda Web Adapter's and Lambda's rules, on a stub app (no dependency on the DropSync app's settings).</summary>
[Trait("Category", "AwsHarness")]
public sealed class WebAdapterTests : IDisposable
{
    private readonly StubApp _stub = new();

    public void Dispose() => _stub.Dispose();

    [Fact]
    public async Task With_AWS_LWA_ERROR_STATUS_CODES_a_listed_status_from_the_pass_through_path_is_a_function_error()
    {
        using var function = _stub.Function(TimeSpan.FromSeconds(10), new Dictionary<string, string> { ["AWS_LWA_ERROR_STATUS_CODES"] = "500-599" });
        var failed = await function.InvokeAsync("""{"status":503}""", CancellationToken.None);
        Assert.Equal("Unhandled", failed.FunctionError);

        var ok = await function.InvokeAsync("""{"status":200,"n":1}""", CancellationToken.None);
        Assert.False(ok.Failed);
        var body = JsonNode.Parse(ok.Payload!)!;
        Assert.Equal(1, body["echo"]!["n"]!.GetValue<int>());
        Assert.Equal("stub", body["lambdaContext"]!["env_config"]!["function_name"]!.GetValue<string>());

        var notListed = await function.InvokeAsync("""{"status":422}""", CancellationToken.None);
        Assert.False(notListed.Failed);
    }

    [Fact]
    public async Task Without_AWS_LWA_ERROR_STATUS_CODES_the_body_is_the_result_whatever_the_status()
    {
        using var function = _stub.Function(TimeSpan.FromSeconds(10));
        var result = await function.InvokeAsync("""{"status":500,"n":2}""", CancellationToken.None);
        Assert.False(result.Failed);
        Assert.Equal(2, JsonNode.Parse(result.Payload!)!["echo"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_crash_is_an_Unhandled_error_and_the_next_invocation_cold_starts_a_new_environment()
    {
        using var function = _stub.Function(TimeSpan.FromSeconds(10));
        Assert.Equal("Unhandled", (await function.InvokeAsync("""{"crash":true}""", CancellationToken.None)).FunctionError);
        Assert.False((await function.InvokeAsync("""{"n":3}""", CancellationToken.None)).Failed);
        Assert.Equal(2, function.Process.Starts);
    }

    [Fact]
    public async Task An_invocation_past_the_function_timeout_is_TimedOut_and_resets_the_environment()
    {
        // 4 s leaves the next invocation room for its cold start on a loaded machine (2 s failed under load).
        using var function = _stub.Function(TimeSpan.FromSeconds(4));
        await function.WarmUpAsync(CancellationToken.None);
        Assert.Equal("TimedOut", (await function.InvokeAsync("""{"sleepMs":8000}""", CancellationToken.None)).FunctionError);
        Assert.False((await function.InvokeAsync("""{"n":4}""", CancellationToken.None)).Failed);
        Assert.Equal(2, function.Process.Starts);
    }
}
