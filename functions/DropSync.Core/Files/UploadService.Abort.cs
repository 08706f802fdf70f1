using DropSync.Core.Accounts;
using DropSync.Core.Contract;
using DropSync.Core.Errors;

namespace DropSync.Core.Files;

/// <summary>
/// <c>/files/upload/abort</c>: a client that gives an upload up (the file changed while it was read, the sync was
/// cancelled before the session was recorded, the finish was refused) says so, and the session stops counting against
/// the cap on open sessions at once rather than when it expires, and its blocks stop being pinned: those no file and no
/// other open upload holds are collected after their grace period (a block sent again soon is recorded afresh and
/// kept), not two days later when the session expires.
/// </summary>
public sealed partial class UploadService
{
    /// <summary>
    /// Aborts the caller's upload; answers <c>aborted</c>, also when it was already (so a retried request is safe), or
    /// <c>committed</c> when it was finished first, which the abort leaves as it is. An unknown id, another user's, or an
    /// expired upload is refused as by the other upload requests.
    /// </summary>
    public async Task<AbortUploadResponse> AbortAsync(Caller caller, string? uploadId, CancellationToken ct)
    {
        var session = await FindOwnSessionAsync(caller, uploadId, ct);

        if (session.CommittedRev is not null)
        {
            return new AbortUploadResponse(session.UploadId, AbortUploadResponse.Committed);
        }

        if (session.AbortedAt is null)
        {
            if (session.ExpiresAt <= clock.GetUtcNow())
            {
                throw Errors.Errors.Gone(ErrorCodes.UploadExpired, "This upload expired already; nothing is left to abort.");
            }

            await sessions.MarkAbortedAsync(session.UploadId, clock.GetUtcNow(), ct);
            pieceHashing?.End(session.UploadId);
        }

        return new AbortUploadResponse(session.UploadId, AbortUploadResponse.Aborted);
    }

    private static DropSyncException UploadAborted() =>
        Errors.Errors.Gone(ErrorCodes.UploadAborted, "This upload was aborted; start a new one (blocks already sent are reused).");
}
