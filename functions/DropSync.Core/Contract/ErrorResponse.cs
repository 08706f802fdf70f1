using System.Text.Json.Serialization;

namespace DropSync.Core.Contract;

/// <summary>
/// Every error: a stable code from <see cref="Errors.ErrorCodes"/>, a message for people, and for some codes more
/// fields beside them (a conflict's <c>current</c> and <c>conflicted_copy</c>, a limit's <c>max_batch_bytes</c>, …).
/// </summary>
public sealed record ErrorResponse(string Error, string Message)
{
    /// <summary>The code's extra fields, written beside error and message (their names are already snake_case).</summary>
    [JsonExtensionData]
    public IDictionary<string, object?>? Details { get; init; }
}
