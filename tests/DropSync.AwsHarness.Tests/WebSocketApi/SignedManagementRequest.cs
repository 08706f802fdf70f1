using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>
/// An @connections request signed by hand with AWSSDK.Core's SigV4 signer, the way the app signs its POSTs
/// (functions/DropSync.Aws/Push/ApiGatewayPushGateway.cs), for the calls the app does not make itself (GET, DELETE)
/// and for requests a test spoils on purpose.
/// </summary>
internal sealed record SignedManagementRequest
{
    public required HttpMethod Method { get; init; }

    public required Uri Endpoint { get; init; }

    public required string ConnectionId { get; init; }

    public required ImmutableCredentials Credentials { get; init; }

    public string Region { get; init; } = "eu-west-1";

    public string Service { get; init; } = "execute-api";

    public DateTime SignedAt { get; init; } = DateTime.UtcNow;

    public byte[] Body { get; init; } = [];

    /// <summary>Sends the token header even when the signature was computed without it (or leaves it off).</summary>
    public bool? SendToken { get; init; }

    public async Task<HttpResponseMessage> SendAsync(HttpClient http)
    {
        var path = Endpoint.AbsolutePath.TrimEnd('/') + "/%40connections/" + Uri.EscapeDataString(ConnectionId);
        var uri = new UriBuilder(Endpoint) { Path = path }.Uri;
        var amzDate = SignedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = uri.Authority, ["x-amz-date"] = amzDate };
        if (Credentials.UseToken)
        {
            headers["x-amz-security-token"] = Credentials.Token;
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = new StringBuilder()
            .Append(Method.Method).Append('\n')
            .Append(string.Join('/', path.Split('/').Select(Uri.EscapeDataString))).Append("\n\n")
            .Append(string.Concat(headers.Select(h => h.Key + ":" + h.Value + "\n"))).Append('\n')
            .Append(signedHeaders).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(Body)))
            .ToString();
        var signature = AWS4Signer.ComputeSignature(Credentials, Region, SignedAt, Service, signedHeaders, canonicalRequest);

        using var request = new HttpRequestMessage(Method, uri);
        if (Body.Length > 0 || Method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(Body);
        }

        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (SendToken ?? Credentials.UseToken)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", Credentials.Token ?? "forged-token");
        }

        return await http.SendAsync(request);
    }
}
