namespace DropSync.Core.Contract;

/// <summary>
/// /files/upload/abort's answer: the upload, and <c>aborted</c> (it no longer counts as open and cannot be finished)
/// or <c>committed</c> (it was finished before the abort came, which changed nothing).
/// </summary>
public sealed record AbortUploadResponse(string UploadId, string Status)
{
    public const string Aborted = "aborted";

    public const string Committed = "committed";
}
