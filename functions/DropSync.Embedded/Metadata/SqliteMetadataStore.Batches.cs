using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Applying batches of metadata writes: one (<see cref="ApplyAsync"/>) or many in one transaction (<see cref="ApplyEachAsync"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    private const string BatchSavepoint = "batch";

    /// <summary>Statements kept prepared on the writer connection; used only on the writer's thread, inside a write.</summary>
    private BatchCommands? _writerBatch;

    private BatchCommands WriterBatch(SqliteTransaction transaction) => (_writerBatch ??= new BatchCommands(transaction)).For(transaction);

    /// <summary>All batches in one transaction (one fsync), each in its own savepoint so that a failed one leaves no trace.</summary>
    public Task<IReadOnlyList<BatchResult>> ApplyEachAsync(IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var write = WriteAsync<IReadOnlyList<BatchResult>>(
            async (transaction, ct) =>
            {
                var results = await ApplyEachInSavepointsAsync(transaction, WriterBatch(transaction), batches, ct);
                return (results, true);
            },
            cancellationToken,
            isMetadataBatch: true);
        return batches.Any(ChangesSharing) ? ForgettingMembershipsAfter(write) : write;
    }

    /// <summary>
    /// Applies each batch on its own terms: a failed expectation leaves no trace of that batch alone (first-wins per batch).
    /// A batch of entry writes on distinct keys (a file commit) has its expectations checked first and is then written
    /// without a savepoint (<see cref="FirstFailedExpectationAsync"/>); any other batch goes in its own savepoint and is rolled back.
    /// A group of file commits only (a batch upload) is applied as sets instead (<see cref="TryApplyEachAsSets"/>).
    /// </summary>
    private async Task<IReadOnlyList<BatchResult>> ApplyEachInSavepointsAsync(
        SqliteTransaction transaction, BatchCommands commands, IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken ct)
    {
        if (TryApplyEachAsSets(transaction, batches) is { } asSets)
        {
            return asSets;
        }

        var results = new List<BatchResult>(batches.Count);
        foreach (var writes in batches)
        {
            if (await FirstFailedExpectationAsync(commands, writes, ct) is { } failedAt)
            {
                results.Add(failedAt >= 0 ? BatchResult.Failed(failedAt) : await ApplyInTransactionAsync(transaction, commands, writes, ct, expectationsChecked: true));
                continue;
            }

            transaction.Save(BatchSavepoint);
            var result = await ApplyInTransactionAsync(transaction, commands, writes, ct);
            if (!result.Applied)
            {
                transaction.Rollback(BatchSavepoint);
            }

            transaction.Release(BatchSavepoint);
            results.Add(result);
        }

        return results;
    }

    /// <summary>
    /// Applies one batch in <paramref name="transaction"/>; on a failed expectation it stops and the caller must roll back.
    /// With <paramref name="expectationsChecked"/> the entry expectations were all checked just before (<see cref="FirstFailedExpectationAsync"/>).
    /// </summary>
    private async Task<BatchResult> ApplyInTransactionAsync(
        SqliteTransaction transaction, BatchCommands batch, IReadOnlyList<MetadataWrite> writes, CancellationToken ct, bool expectationsChecked = false)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var changes = new List<ChangeRecord>();
        for (var i = 0; i < writes.Count; i++)
        {
            switch (writes[i])
            {
                case MetadataWrite.PutEntry put:
                    if (!expectationsChecked && !await batch.MeetsAsync(put.Entry.NamespaceId, put.Entry.PathKey, put.Expected, ct))
                    {
                        return BatchResult.Failed(i);
                    }

                    await batch.UpsertEntryAsync(put.Entry, ct);
                    break;
                case MetadataWrite.CheckEntry check:
                    if (!expectationsChecked && !await batch.MeetsAsync(check.NamespaceId, check.PathKey, check.Expected, ct))
                    {
                        return BatchResult.Failed(i);
                    }

                    break;
                case MetadataWrite.AddRevision add:
                    await batch.InsertRevisionAsync(add.Revision, ct);
                    break;
                case MetadataWrite.AppendChange append:
                    changes.Add(await batch.AppendChangeAsync(append.Change, ct));
                    break;
                case MetadataWrite.PutShare putShare:
                    if (!await TryPutShareAsync(transaction, putShare.Share, putShare.MustBeNew, ct))
                    {
                        return BatchResult.Failed(i);
                    }

                    break;
                case MetadataWrite.DeleteShare deleteShare:
                    await DeleteShareAsync(transaction, deleteShare.ShareId, ct);
                    break;
                case MetadataWrite.PutMember putMember:
                    if (!await TryPutMemberAsync(transaction, putMember.Member, ct))
                    {
                        return BatchResult.Failed(i);
                    }

                    break;
                case MetadataWrite.DeleteMember deleteMember:
                    await DeleteMemberAsync(transaction, deleteMember.ShareId, deleteMember.UserId, ct);
                    break;
                case MetadataWrite.MoveLink moveLink:
                    if (!await TryMoveLinkAsync(transaction, moveLink, ct))
                    {
                        return BatchResult.Failed(i);
                    }

                    break;
                default:
                    throw new ArgumentException($"Unknown metadata write {writes[i]?.GetType().Name ?? "null"} at index {i}.", nameof(writes));
            }
        }

        return new BatchResult(true, -1, changes);
    }

    /// <summary>
    /// The entry a write of a plain file commit checks or writes; null for the commit's revision and change, which touch
    /// no entry; ("", "") for any other write, which makes the batch something other than a plain file commit.
    /// </summary>
    private static (string NamespaceId, string PathKey)? CommitPath(MetadataWrite write) => write switch
    {
        MetadataWrite.PutEntry put => (put.Entry.NamespaceId, put.Entry.PathKey),
        MetadataWrite.CheckEntry check => (check.NamespaceId, check.PathKey),
        MetadataWrite.AddRevision or MetadataWrite.AppendChange => null,
        _ => ("", ""),
    };

    /// <summary>
    /// For a batch whose expectations no earlier write of it can change (only entry writes, revisions and changes, each
    /// path checked or written once): the index of the first expectation that fails now, or -1 if all hold, which is
    /// what applying it would find. Null for any other batch: it must be applied in a savepoint.
    /// Why that keeps first-wins exactly: the writer thread is the only writer and runs the check and the writes back to
    /// back in one transaction, so the only thing that can change an entry between its check and its write is this
    /// batch's own write of another key, which no check of this batch looks at. A write that throws half-way fails the
    /// whole group write, which is rolled back and run again with every write in its own savepoint.
    /// </summary>
    private static async Task<int?> FirstFailedExpectationAsync(BatchCommands batch, IReadOnlyList<MetadataWrite> writes, CancellationToken ct)
    {
        var paths = new HashSet<(string, string)>();
        foreach (var write in writes)
        {
            var path = CommitPath(write);
            if (path is { } key && (key.Item1.Length == 0 || !paths.Add(key)))
            {
                return null;
            }
        }

        for (var i = 0; i < writes.Count; i++)
        {
            var holds = writes[i] switch
            {
                MetadataWrite.PutEntry put => await batch.MeetsAsync(put.Entry.NamespaceId, put.Entry.PathKey, put.Expected, ct),
                MetadataWrite.CheckEntry check => await batch.MeetsAsync(check.NamespaceId, check.PathKey, check.Expected, ct),
                _ => true,
            };
            if (!holds)
            {
                return i;
            }
        }

        return -1;
    }
}
