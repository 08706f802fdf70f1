using System.Text.Json;
using DropSync.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>Plain error answers: the API's JSON shape {"error", "message"}; WebDAV clients act on the status.</summary>
internal static class DavResponses
{
    public static async Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (context.Request.Method == HttpMethods.Head)
        {
            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, new Dictionary<string, string> { ["error"] = code, ["message"] = message }, cancellationToken: context.RequestAborted);
    }

    /// <summary>The status WebDAV answers for a core error (Nextcloud's choices where RFC 4918 leaves it open).</summary>
    public static int StatusOf(DropSyncException e) => e.Kind switch
    {
        ErrorKind.BadRequest when e.Code is "cant_move_into_itself" => StatusCodes.Status403Forbidden,
        ErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict when e.Code is "path_is_folder" => StatusCodes.Status405MethodNotAllowed,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Gone => StatusCodes.Status410Gone,
        ErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.RangeNotSatisfiable => StatusCodes.Status416RangeNotSatisfiable,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };
}

/// <summary>A WebDAV answer decided before the core is reached (a failed precondition, a lock, a bad header).</summary>
internal sealed class DavException(int status, string code, string message, System.Xml.Linq.XElement? body = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>A DAV:error body to answer instead of JSON (RFC 4918 preconditions).</summary>
    public System.Xml.Linq.XElement? Body { get; } = body;
}
