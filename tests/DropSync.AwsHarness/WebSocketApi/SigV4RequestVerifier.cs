using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>Why a request was refused: the status, the error type (x-amzn-ErrorType) and the message AWS answers with.</summary>
internal sealed record SigV4Refusal(int Status, string ErrorType, string Message);

/// <summary>Who signed an accepted request.</summary>
internal sealed record SigV4Caller(string AccessKeyId, ExecuteApiCaller Caller);

/// <summary>
/// Checks a request's Signature Version 4 the way AWS does: parses the Authorization header, looks the access key up,
/// checks the credential scope (date, region, service <c>execute-api</c>), the request time (within 5 minutes) and the
/// session token, then recomputes the signature over the canonical request rebuilt from what was received — with
/// AWSSDK.Core's own signer for the key derivation and HMAC
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). The messages are the ones AWS answers
/// with for each failure.
/// </summary>
internal sealed class SigV4RequestVerifier(string region, string service, Func<string, ExecuteApiCaller?> callers, TimeProvider time, TimeSpan maxClockSkew)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";

    public (SigV4Caller? Caller, SigV4Refusal? Refusal) Verify(HttpContext context, byte[] body)
    {
        var request = context.Request;
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return Refuse("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var fields = authorization[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders) ||
            !fields.TryGetValue("Signature", out var signature))
        {
            return Refuse("IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=" + authorization);
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return Refuse("IncompleteSignatureException", "Credential should be of the form <AccessKeyId>/<Date>/<Region>/<Service>/aws4_request.");
        }

        if (callers(scope[0]) is not { } caller)
        {
            return Refuse("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTime.TryParseExact(amzDate, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return Refuse("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }

        if (scope[1] != amzDate[..8])
        {
            return Refuse("InvalidSignatureException", $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope[1]}' != '{amzDate[..8]}', from '{amzDate}'.");
        }

        if (scope[2] != region)
        {
            return Refuse("InvalidSignatureException", $"Credential should be scoped to a valid region. ");
        }

        if (scope[3] != service)
        {
            return Refuse("InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'. ");
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (signedAt < now - maxClockSkew)
        {
            return Refuse("InvalidSignatureException", $"Signature expired: {amzDate} is now earlier than {(now - maxClockSkew).ToString(DateFormat, CultureInfo.InvariantCulture)} ({now.ToString(DateFormat, CultureInfo.InvariantCulture)} - 5 min.)");
        }

        if (signedAt > now + maxClockSkew)
        {
            return Refuse("InvalidSignatureException", $"Signature not yet current: {amzDate} is still later than {(now + maxClockSkew).ToString(DateFormat, CultureInfo.InvariantCulture)} ({now.ToString(DateFormat, CultureInfo.InvariantCulture)} + 5 min.)");
        }

        // Temporary credentials (a Lambda function's role) are only valid with their session token.
        var token = request.Headers["X-Amz-Security-Token"].ToString();
        if (!string.Equals(token, caller.SessionToken ?? "", StringComparison.Ordinal))
        {
            return Refuse("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var headerNames = signedHeaders.Split(';');
        if (!headerNames.Contains("host", StringComparer.Ordinal))
        {
            return Refuse("InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
        }

        var canonicalRequest = CanonicalRequest(context, headerNames, signedHeaders, body);
        var credentials = new ImmutableCredentials(scope[0], caller.SecretKey, caller.SessionToken);
        var expected = AWS4Signer.ComputeSignature(credentials, region, signedAt, service, signedHeaders, canonicalRequest).Signature;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return Refuse(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
        }

        return (new SigV4Caller(scope[0], caller), null);
    }

    /// <summary>
    /// The canonical request of what arrived: method, the path as sent with each segment URI-encoded once more (every
    /// service but S3 — the sender's escaping, e.g. <c>%40connections</c>, is encoded again), the query sorted, the
    /// signed headers with trimmed values, and the SHA-256 of the body.
    /// </summary>
    internal static string CanonicalRequest(HttpContext context, IEnumerable<string> headerNames, string signedHeaders, byte[] body)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var rawQuery = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];
        var canonicalUri = string.Join('/', rawPath.Split('/').Select(UriEncode));
        var canonicalQuery = string.Join('&', rawQuery
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: UriEncode(Uri.UnescapeDataString(p[0])), Value: UriEncode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
        var canonicalHeaders = new StringBuilder();
        foreach (var name in headerNames)
        {
            var values = context.Request.Headers[name].Select(v => string.Join(' ', (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            canonicalHeaders.Append(name).Append(':').Append(string.Join(',', values)).Append('\n');
        }

        return new StringBuilder()
            .Append(context.Request.Method).Append('\n')
            .Append(canonicalUri).Append('\n')
            .Append(canonicalQuery).Append('\n')
            .Append(canonicalHeaders).Append('\n')
            .Append(signedHeaders).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(body)))
            .ToString();
    }

    /// <summary>SigV4's UriEncode: every byte but A-Z a-z 0-9 - _ . ~ as %XY (what RFC 3986 escaping of data does).</summary>
    private static string UriEncode(string value) => Uri.EscapeDataString(value);

    private static (SigV4Caller?, SigV4Refusal?) Refuse(string errorType, string message) => (null, new SigV4Refusal(StatusCodes.Status403Forbidden, errorType, message));
}
