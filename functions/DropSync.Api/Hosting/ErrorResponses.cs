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
        ErrorKind.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        ErrorKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.Internal => StatusCodes.Status500InternalServerError,
        ErrorKind.NotImplemented => StatusCodes.Status501NotImplemented,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
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

    /// <summary>The same body as a typed record (for answers that embed an error, like a batch upload's entries).</summary>
    public static Core.Contract.ErrorResponse Of(string code, string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(code, message) { Details = details is { Count: > 0 } ? new Dictionary<string, object?>(details) : null };

    public static Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, object?>? details = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Body(code, message, details), context.RequestAborted);
    }

    /// <summary>The code for a bare status the framework produced without a body (404 on an unknown route, 405, ...).</summary>
    public static (string Code, string Message) ForStatus(int status) => status switch
    {
        400 => (ErrorCodes.BadRequest, "The request is malformed."),
        401 => (ErrorCodes.Unauthorized, "Sign in first: send \"Authorization: Bearer <access_token>\" from /auth/login."),
        403 => (ErrorCodes.Forbidden, "You may not do this."),
        404 => (ErrorCodes.NotFound, "Nothing is at this address; the API's endpoints are listed at /openapi/v1.json."),
        405 => (ErrorCodes.MethodNotAllowed, "This endpoint does not take that HTTP method; see /openapi/v1.json."),
        413 => (ErrorCodes.PayloadTooLarge, "The request body is too large."),
        415 => (ErrorCodes.UnsupportedMediaType, "Send JSON with Content-Type: application/json."),
        429 => (ErrorCodes.TooManyRequests, "Too many requests; wait as long as Retry-After says, then try again."),
        // A status none of the API's own answers has (the pipeline produces none of these today).
        _ => ("error", "The request failed."),
    };
}
