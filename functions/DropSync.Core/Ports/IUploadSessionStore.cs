using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>Resumable upload sessions; they survive restarts of client and server.</summary>
public interface IUploadSessionStore
{
    Task CreateAsync(UploadSession session, CancellationToken cancellationToken);

    Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>Marks the session finished with the rev it committed (kept until it expires so retried finishes are answered).</summary>
    Task MarkCommittedAsync(string uploadId, string rev, CancellationToken cancellationToken);

    /// <summary>Deletes sessions that expired before <paramref name="now"/>; answers how many.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
