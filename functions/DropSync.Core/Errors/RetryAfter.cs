namespace DropSync.Core.Errors;

/// <summary>
/// An error that the caller may retry later carries the seconds to wait under <see cref="DetailKey"/> in its details:
/// the body has it as <c>retry_after</c>, and the HTTP layer also sends it as the <c>Retry-After</c> header.
/// </summary>
public static class RetryAfter
{
    public const string DetailKey = "retry_after";

    public static DropSyncException TooManyRequests(string message, TimeSpan wait) =>
        new(ErrorKind.TooManyRequests, ErrorCodes.TooManyRequests, message, new Dictionary<string, object?> { [DetailKey] = Seconds(wait) });

    /// <summary>Whole seconds, rounded up, at least one.</summary>
    public static int Seconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
}
