using DropSync.Core.Errors;

namespace DropSync.Api.Hosting;

/// <summary>Every error leaves the API as <c>{"error": "&lt;stable code&gt;", "message": "..."}</c> plus any extra fields.</summary>
internal static class ErrorResponses
{
    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Gone => StatusCodes.Status410Gone,
        ErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.RangeNotSatisfiable => StatusCodes.Status416RangeNotSatisfiable,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.InsufficientStorage => StatusCodes.Status507InsufficientStorage,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static Dictionary<string, object?> Body(string code, string message, IReadOnlyDictionary<string, object?>? details = null)
    {
        var body = new Dictionary<string, object?> { ["error"] = code, ["message"] = message };
        foreach (var (key, value) in details ?? new Dictionary<string, object?>())
        {
            body[key] = value;
        }

        return body;
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Body(code, message, details), context.RequestAborted);
    }

    /// <summary>The code for a bare status the framework produced without a body (404 on an unknown route, 405, ...).</summary>
    public static (string Code, string Message) ForStatus(int status) => status switch
    {
        400 => ("bad_request", "The request is malformed."),
        401 => ("unauthorized", "Sign in first: send \"Authorization: Bearer <access_token>\" from /auth/login."),
        403 => ("forbidden", "You may not do this."),
        404 => ("not_found", "Nothing is at this address; the API's endpoints are listed at /openapi/v1.json."),
        405 => ("method_not_allowed", "This endpoint does not take that HTTP method; see /openapi/v1.json."),
        413 => ("payload_too_large", "The request body is too large."),
        415 => ("unsupported_media_type", "Send JSON with Content-Type: application/json."),
        _ => ("error", "The request failed."),
    };
}
