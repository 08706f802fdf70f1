namespace DropSync.Core.Errors;

/// <summary>What kind of failure an error is; the HTTP layer maps each kind to one status.</summary>
public enum ErrorKind
{
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    PayloadTooLarge,
    RangeNotSatisfiable,
    Unavailable,
    MethodNotAllowed,
    UnsupportedMediaType,
    Internal,
}
