namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// A deployed DropSync as its users reach it: only the HTTP API's URL (the stack's ApiUrl output); everything else
/// (the live feed's address, the limits) comes from GET /config, as a real client finds it. The same end-to-end test
/// code runs against the local harness and against a real AWS account.
/// </summary>
public interface IDeployedDropSync
{
    /// <summary>The HTTP API's base URL (the $default stage).</summary>
    Uri HttpApiUrl { get; }

    /// <summary>Says what the tests run against, for their output.</summary>
    string Description { get; }

    /// <summary>The local harness when the target is one (harness-only assertions: recorded calls, open connections), else null.</summary>
    AwsHarness? Harness { get; }
}

/// <summary>DropSync in the local serverless harness.</summary>
public sealed class HarnessDeployment(AwsHarness harness) : IDeployedDropSync
{
    public Uri HttpApiUrl => harness.HttpApiUrl;

    public string Description => $"the local AWS harness at {harness.HttpApiUrl}";

    public AwsHarness Harness => harness;
}

/// <summary>
/// A real deployment (<c>cdk deploy</c>), named by the environment variable <see cref="ApiUrlVariable"/> set to the
/// stack's ApiUrl output. The smoke tests register throw-away accounts on it.
/// </summary>
public sealed class RealDeployment(Uri httpApiUrl) : IDeployedDropSync
{
    public const string ApiUrlVariable = "DROPSYNC_SMOKE_API_URL";

    public Uri HttpApiUrl { get; } = httpApiUrl;

    public string Description => $"the real deployment at {HttpApiUrl} ({ApiUrlVariable})";

    public AwsHarness? Harness => null;

    /// <summary>The deployment named by <see cref="ApiUrlVariable"/>, or null when it is unset (the tests then run on the harness).</summary>
    public static RealDeployment? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(ApiUrlVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            throw new InvalidOperationException($"{ApiUrlVariable} must be the stack's ApiUrl output (https://….execute-api.….amazonaws.com/), not '{value}'.");
        }

        return new RealDeployment(url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/"));
    }
}
