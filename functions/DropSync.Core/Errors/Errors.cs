namespace DropSync.Core.Errors;

/// <summary>Factory for the errors the core raises; one place so codes stay stable and messages consistent.</summary>
public static class Errors
{
    public static DropSyncException BadRequest(string code, string message) => new(ErrorKind.BadRequest, code, message);

    public static DropSyncException NotFound(string code, string message) => new(ErrorKind.NotFound, code, message);

    public static DropSyncException Conflict(string code, string message, IReadOnlyDictionary<string, object?>? details = null) =>
        new(ErrorKind.Conflict, code, message, details);

    public static DropSyncException Unauthorized(string message) => new(ErrorKind.Unauthorized, ErrorCodes.Unauthorized, message);

    public static DropSyncException Forbidden(string code, string message) => new(ErrorKind.Forbidden, code, message);

    public static DropSyncException TooLarge(string code, string message) => new(ErrorKind.PayloadTooLarge, code, message);

    public static DropSyncException Gone(string code, string message) => new(ErrorKind.Gone, code, message);
}
