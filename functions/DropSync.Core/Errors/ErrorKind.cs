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

    /// <summary>The server has no space left to store the write (507); reads go on, and writes work again once space is freed.</summary>
    InsufficientStorage,
    MethodNotAllowed,
    UnsupportedMediaType,
    Internal,
    NotImplemented,

    /// <summary>Too many attempts or requests from this caller, address or account (429, with Retry-After).</summary>
    TooManyRequests,
}
