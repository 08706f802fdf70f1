using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.Recording;

/// <summary>One rule of a bucket's CORS configuration (AWS::S3::Bucket CorsConfiguration.CorsRules[]).</summary>
public sealed record S3CorsRule(
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposedHeaders,
    int? MaxAge);

/// <summary>
/// A bucket's CORS configuration applied as S3 applies it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html,
/// "How does Amazon S3 evaluate the CORS configuration on a bucket?"): the first rule whose AllowedOrigins match the
/// Origin (one <c>*</c> wildcard each), whose AllowedMethods hold the method (for a preflight, Access-Control-Request-Method)
/// and, for a preflight, whose AllowedHeaders match every header in Access-Control-Request-Headers, answers. A preflight
/// no rule matches is 403; an actual request no rule matches gets no CORS headers (the browser then refuses it).
/// fauxqs keeps no bucket configuration, so the S3 recording proxies do this in its place.
/// </summary>
public sealed class S3Cors(IReadOnlyList<S3CorsRule> rules)
{
    public IReadOnlyList<S3CorsRule> Rules { get; } = rules;

    /// <summary>The rules of a resolved CorsConfiguration ({"CorsRules":[…]}), each origin passed through <paramref name="mapOrigin"/>.</summary>
    public static S3Cors FromTemplate(JsonNode? corsConfiguration, Func<string, string> mapOrigin)
    {
        ArgumentNullException.ThrowIfNull(mapOrigin);
        static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(v => (string?)v ?? "")];
        var rules = (corsConfiguration?["CorsRules"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(rule => new S3CorsRule(
                [.. Strings(rule["AllowedOrigins"]).Select(mapOrigin)],
                Strings(rule["AllowedMethods"]),
                Strings(rule["AllowedHeaders"]),
                Strings(rule["ExposedHeaders"]),
                rule["MaxAge"] is JsonValue age ? age.GetValue<int>() : null))
            .ToList();
        return new S3Cors(rules);
    }

    /// <summary>Answers an OPTIONS preflight for the bucket.</summary>
    public async Task AnswerPreflightAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var response = context.Response;
        var origin = request.Headers.Origin.ToString();
        var method = request.Headers.AccessControlRequestMethod.ToString();
        var requested = request.Headers.AccessControlRequestHeaders.ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rule = origin.Length == 0 || method.Length == 0 ? null : Match(origin, method, requested);
        if (rule is null)
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            response.ContentType = "application/xml";
            var body = Encoding.UTF8.GetBytes(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed. " +
                "This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers " +
                "are not whitelisted by the resource's CORS spec.</Message>" +
                $"<Method>{System.Security.SecurityElement.Escape(method)}</Method><ResourceType>OBJECT</ResourceType></Error>");
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        AddHeaders(response, origin, rule);
        if (requested.Length > 0)
        {
            response.Headers.AccessControlAllowHeaders = string.Join(", ", requested);
        }

        response.ContentLength = 0;
    }

    /// <summary>Adds the CORS headers to an actual (non-preflight) response, when a rule allows its Origin and method.</summary>
    public void AddActualResponseHeaders(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && Match(origin, context.Request.Method, []) is { } rule)
        {
            AddHeaders(context.Response, origin, rule);
        }
    }

    /// <summary>True for the response headers the proxy sets itself (so none from upstream contradict them).</summary>
    public static bool IsCorsHeader(string name) =>
        name.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase);

    private S3CorsRule? Match(string origin, string method, IReadOnlyCollection<string> requestedHeaders) =>
        Rules.FirstOrDefault(rule =>
            rule.AllowedOrigins.Any(pattern => WildcardMatch(pattern, origin, StringComparison.Ordinal)) &&
            rule.AllowedMethods.Contains(method, StringComparer.Ordinal) &&
            requestedHeaders.All(header => rule.AllowedHeaders.Any(pattern => WildcardMatch(pattern, header, StringComparison.OrdinalIgnoreCase))));

    private static void AddHeaders(HttpResponse response, string origin, S3CorsRule rule)
    {
        var any = rule.AllowedOrigins.Contains("*");
        var headers = response.Headers;
        headers.AccessControlAllowOrigin = any ? "*" : origin;
        headers.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethods);
        if (!any)
        {
            // S3 allows credentials whenever it echoes a specific origin.
            headers.AccessControlAllowCredentials = "true";
        }

        if (rule.ExposedHeaders.Count > 0)
        {
            headers.AccessControlExposeHeaders = string.Join(", ", rule.ExposedHeaders);
        }

        if (rule.MaxAge is { } maxAge)
        {
            headers.AccessControlMaxAge = maxAge.ToString(CultureInfo.InvariantCulture);
        }

        headers.Vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
    }

    /// <summary>S3 allows one <c>*</c> in an AllowedOrigin and AllowedHeader, matching any characters.</summary>
    private static bool WildcardMatch(string pattern, string value, StringComparison comparison)
    {
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return string.Equals(pattern, value, comparison);
        }

        var prefix = pattern[..star];
        var suffix = pattern[(star + 1)..];
        return value.Length >= prefix.Length + suffix.Length && value.StartsWith(prefix, comparison) && value.EndsWith(suffix, comparison);
    }
}
