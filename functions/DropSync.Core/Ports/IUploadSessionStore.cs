using DropSync.Core.Content;
using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>Resumable upload sessions; they survive restarts of client and server.</summary>
public interface IUploadSessionStore
{
    Task CreateAsync(UploadSession session, CancellationToken cancellationToken);

    Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Marks the session finished with the rev it committed (kept until it expires so retried finishes are answered).</summary>
    Task MarkCommittedAsync(string uploadId, string rev, CancellationToken cancellationToken);

    /// <summary>
    /// Marks an open session aborted at <paramref name="at"/>: it no longer counts as open, takes no more blocks, and the
    /// service refuses to finish it. Changes nothing for a committed, already aborted or unknown session (so it is
    /// idempotent). The session is kept until it expires and the sweep deletes it as any other, but it pins its blocks no
    /// more: those no revision references and no other open session pins become collectable at once (after their grace
    /// period), not when it expires.
    /// </summary>
    Task MarkAbortedAsync(string uploadId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="blocks"/> to the block list of an upload declared in parts, pinning them as
    /// <see cref="CreateAsync"/> pins the first ones, if the stored session still holds exactly
    /// <paramref name="session"/>'s blocks (by count) and is not committed. Answers false, changing nothing, when another
    /// append or the finish came first, so that two requests never both extend the list from the same place.
    /// </summary>
    Task<bool> AppendBlocksAsync(UploadSession session, IReadOnlyList<BlockRef> blocks, CancellationToken cancellationToken);

    /// <summary>
    /// How many of the user's sessions are open (not finished, not expired) at <paramref name="now"/>, for the cap on
    /// open sessions. Every store counts them (SQLite by a query, DynamoDB through a sparse index); 0 is only the
    /// default of a store that cannot, and then the cap is not enforced there.
    /// </summary>
    Task<int> CountOpenAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>409 too_many_upload_sessions when the user already has <paramref name="max"/> open sessions.</summary>
    async Task RequireRoomForSessionAsync(string userId, int max, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await CountOpenAsync(userId, now, cancellationToken) >= max)
        {
            throw Errors.Errors.Conflict(
                Errors.ErrorCodes.TooManyUploadSessions,
                $"At most {max} uploads may be open at once; finish some (or let them expire) before starting more.");
        }
    }

    /// <summary>Deletes sessions that expired before <paramref name="now"/>; answers how many.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
