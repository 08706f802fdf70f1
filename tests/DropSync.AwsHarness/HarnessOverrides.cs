using System.Globalization;

namespace DropSync.AwsHarness;

/// <summary>
/// Every way the harness's functions differ from the deployed ones, in one place, each with its reason. Everything else
/// a function process sees is the template's resolved environment plus Lambda's runtime variables.
/// </summary>
public static class HarnessOverrides
{
    /// <summary>The variables the harness sets over the template's, for one function.</summary>
    public static Dictionary<string, string> For(int appPort, string dynamoDbProxy, string s3Proxy, string sqsProxy, int secretsPort)
    {
        var port = appPort.ToString(CultureInfo.InvariantCulture);
        return new(StringComparer.Ordinal)
        {
            // Four environments share one host here: each app gets its own loopback port instead of 8080.
            ["PORT"] = port,
            ["AWS_LWA_PORT"] = port,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:" + port,

            // AWS endpoints: this function's recording proxies in front of DynamoDB Local and fauxqs.
            ["DROPSYNC_DYNAMODB_ENDPOINT"] = dynamoDbProxy,
            ["DROPSYNC_S3_ENDPOINT"] = s3Proxy,
            ["DROPSYNC_SQS_ENDPOINT"] = sqsProxy,

            // Speed: password hashing at 1,000 iterations instead of the production count.
            ["DropSync__PasswordIterations"] = "1000",

            // The Parameters and Secrets extension's port: one per function on this shared host instead of 2773.
            ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = secretsPort.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// The WebSocket API's public host (https://{id}.execute-api.{region}.amazonaws.com and its wss:// form) is replaced
    /// by the WebSocket emulator's loopback address in every variable that names it (DROPSYNC_WS_ENDPOINT, DROPSYNC_WS_URL).
    /// </summary>
    public static string ReplaceWebSocketHost(string value, string apiEndpointHost, int webSocketPort) =>
        value
            .Replace("https://" + apiEndpointHost, "http://127.0.0.1:" + webSocketPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("wss://" + apiEndpointHost, "ws://127.0.0.1:" + webSocketPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>
    /// The HTTP API's public origin (https://{id}.execute-api.{region}.amazonaws.com, in the blocks bucket's CORS
    /// AllowedOrigins) is the HTTP API emulator's loopback origin (http://127.0.0.1:{port}) here: the browser's page
    /// comes from the emulator, so that is the Origin S3 sees.
    /// </summary>
    public static string ReplaceHttpApiOrigin(string origin, string apiEndpoint, Uri emulatorUrl)
    {
        ArgumentNullException.ThrowIfNull(emulatorUrl);
        return string.Equals(origin.TrimEnd('/'), apiEndpoint.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)
            ? emulatorUrl.GetLeftPart(UriPartial.Authority)
            : origin;
    }

    /// <summary>
    /// The change queue's visibility timeout: the template's 360 s (6 x the consumer's timeout) would make a retried
    /// message wait 6 minutes; the harness uses this many seconds so redrive to the DLQ happens within a test.
    /// </summary>
    public const int ChangeQueueVisibilityTimeoutSeconds = 2;
}
