namespace DropSync.Core.Errors;

/// <summary>
/// A failure the caller can act on: a stable machine-readable <see cref="Code"/>, a message that tells the
/// user what to do, and optional extra fields that are returned beside them (for example the current metadata on a conflict).
/// </summary>
public sealed class DropSyncException : Exception
{
    public DropSyncException(ErrorKind kind, string code, string message, IReadOnlyDictionary<string, object?>? details = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Details = details ?? new Dictionary<string, object?>();
    }

    /// <summary>An unexpected failure answered as this error; <paramref name="cause"/> is kept for the server's log, never sent.</summary>
    public DropSyncException(ErrorKind kind, string code, string message, Exception cause)
        : base(message, cause)
    {
        Kind = kind;
        Code = code;
        Details = new Dictionary<string, object?>();
    }

    public ErrorKind Kind { get; }

    public string Code { get; }

    public IReadOnlyDictionary<string, object?> Details { get; }
}
