using System.Text.Json;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// The API's route selection expression evaluated against one message: <c>$request.body.a.b</c> (or <c>${request.body.a.b}</c>)
/// names a JSON property of the body; its value is the route key when a route has that key, else the message goes to
/// <c>$default</c> — also when the body is not JSON or lacks the property
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html#apigateway-websocket-api-route-selection-expressions,
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html).
/// </summary>
internal sealed class RouteSelection
{
    private const string BodyPrefix = "request.body.";
    private readonly string[] _path;
    private readonly IReadOnlyDictionary<string, WebSocketRoute> _routes;

    public RouteSelection(string expression, IReadOnlyDictionary<string, WebSocketRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var inner = expression.StartsWith("${", StringComparison.Ordinal) && expression.EndsWith('}')
            ? expression[2..^1]
            : expression.TrimStart('$');
        if (!inner.StartsWith(BodyPrefix, StringComparison.Ordinal) || inner.Length == BodyPrefix.Length)
        {
            throw new ArgumentException($"Only $request.body.<path> route selection expressions are emulated, not '{expression}'.", nameof(expression));
        }

        _path = inner[BodyPrefix.Length..].Split('.');
        _routes = routes;
    }

    /// <summary>The route key the message goes to, or null when neither a matching route nor $default exists.</summary>
    public string? Select(string body)
    {
        var key = Evaluate(body);
        if (key is not null && key is not ("$connect" or "$disconnect") && _routes.ContainsKey(key))
        {
            return key;
        }

        return _routes.ContainsKey("$default") ? "$default" : null;
    }

    private string? Evaluate(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var element = document.RootElement;
            foreach (var name in _path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }

            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
