namespace DropSync.Embedded.Metadata;

/// <summary>Aborted upload sessions (<see cref="Core.Ports.IUploadSessionStore.MarkAbortedAsync"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    public Task MarkAbortedAsync(string uploadId, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Only an open session: a committed one stays committed, an aborted one keeps its first time.
                using var command = transaction.Command(
                    "UPDATE upload_sessions SET aborted_at = $at WHERE upload_id = $upload AND committed_rev IS NULL AND aborted_at IS NULL;",
                    ("$at", at.ToUnixMs()), ("$upload", uploadId));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);
}
