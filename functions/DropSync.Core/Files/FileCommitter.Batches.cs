using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Diagnostics;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>One file of a batch to commit: where, what, and how (write mode and expected rev, as for <see cref="FileCommitter.CommitAsync"/>).</summary>
public sealed record PendingCommit(Location At, NewContent Content, WriteMode Mode, string? ExpectedRev);

/// <summary>What became of one <see cref="PendingCommit"/>: the committed (or already present) entry, or the error it alone failed with.</summary>
public sealed record CommitOutcome(FileEntry? Entry, Exception? Error);

public sealed partial class FileCommitter
{
    /// <summary>
    /// Commits many files together: each is planned as <see cref="CommitAsync"/> would, then all are applied with
    /// <see cref="IFileMetadataStore.ApplyEachAsync"/> (one transaction in the embedded store), each still first-wins on
    /// its own path. A file whose plan no longer holds when applied (another commit got there first, or an earlier file
    /// of the batch took its path), or that conflicts, goes through <see cref="CommitAsync"/> on its own afterwards, so it
    /// gets exactly the answer (retry, conflicted copy, error) it would have got alone.
    /// </summary>
    public Task<IReadOnlyList<CommitOutcome>> CommitEachAsync(Caller caller, IReadOnlyList<PendingCommit> commits, CancellationToken ct) =>
        CommitEachAsync(caller, commits, null, ct);

    /// <summary>
    /// As above, storing <paramref name="carried"/> (the batch's small blocks, sealed but not stored yet) in the same
    /// durable write as the commits: a batch of many small files is one group-commit write, not one per block. The
    /// blocks are stored whatever becomes of the commits; a file whose blocks could not be stored fails with that error.
    /// </summary>
    public async Task<IReadOnlyList<CommitOutcome>> CommitEachAsync(Caller caller, IReadOnlyList<PendingCommit> commits, CarriedBlocks? carried, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commits);
        var outcomes = new CommitOutcome?[commits.Count];
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        var planned = new List<(int Index, CommitPlan Plan)>(commits.Count);
        var charged = new Dictionary<string, long>(StringComparer.Ordinal);
        var read = await ReadHeadsAsync(commits, ct);
        RequestStages.Mark("heads read");
        for (var i = 0; i < commits.Count; i++)
        {
            var commit = commits[i];
            try
            {
                commit.At.RequireWrite();

                // Each file must fit with the batch's earlier files: the ones past the quota fail alone.
                var before = charged.GetValueOrDefault(commit.At.NamespaceId);
                await quota.RequireRoomAsync(commit.At.NamespaceId, before + commit.Content.Size, ct);
                charged[commit.At.NamespaceId] = before + commit.Content.Size;
                var plan = await PlanAsync(caller, commit.At, commit.Content, commit.Mode, commit.ExpectedRev, null, folders, read[commit.At.NamespaceId], ct);
                if (plan.Writes is not null)
                {
                    planned.Add((i, plan));
                }
                else if (plan.Unchanged is not null)
                {
                    outcomes[i] = new CommitOutcome(plan.Unchanged, null);
                }
            }
            catch (DropSyncException e)
            {
                outcomes[i] = new CommitOutcome(null, e);
            }
        }

        RequestStages.Mark("planned");
        if (planned.Count > 0)
        {
            IReadOnlyList<BatchResult> results;
            try
            {
                var batches = planned.Select(p => (IReadOnlyList<MetadataWrite>)p.Plan.Writes!).ToList();
                results = carried is { IsStored: false } ? await carried.ApplyEachWithAsync(batches, ct) : await meta.ApplyEachAsync(batches, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Each file goes on its own below, so whatever broke the batch fails only the file it belongs to. In one
                // transaction (embedded) nothing applied; a store applying one by one may have applied the files before
                // the failure, which are then found below as already there (their journal entries reach devices by cursor).
                results = planned.Select(_ => BatchResult.Failed(-1)).ToList();
            }

            RequestStages.Mark("applied (writer queue + commit)");

            var changes = new List<ChangeRecord>();
            for (var j = 0; j < planned.Count; j++)
            {
                if (results[j].Applied)
                {
                    outcomes[planned[j].Index] = new CommitOutcome(planned[j].Plan.Entry, null);
                    changes.AddRange(results[j].Changes);
                    quota.Charge(commits[planned[j].Index].At.NamespaceId, commits[planned[j].Index].Content.Size);
                }
            }

            // One publish, in journal order; published whatever happens to the request now: the changes are durable.
            await publisher.PublishAsync(changes, CancellationToken.None);
            RequestStages.Mark("published");
        }

        if (carried is { IsStored: false })
        {
            // Nothing to apply (every file already there, or refused), or the combined write failed: the blocks go alone,
            // so the uploader is recorded as holding them and no file below commits content whose blocks are missing.
            try
            {
                await carried.StoreAloneAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                for (var i = 0; i < commits.Count; i++)
                {
                    outcomes[i] ??= new CommitOutcome(null, e);
                }
            }
        }

        for (var i = 0; i < commits.Count; i++)
        {
            if (outcomes[i] is null)
            {
                var commit = commits[i];
                try
                {
                    outcomes[i] = new CommitOutcome(await CommitAsync(caller, commit.At, commit.Content, commit.Mode, commit.ExpectedRev, null, ct), null);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    outcomes[i] = new CommitOutcome(null, e);
                }
            }
        }

        return outcomes!;
    }

    /// <summary>
    /// Every path of the batch and every folder above them, one read (one snapshot) per namespace instead of one or more
    /// per file. The plans are all made before anything is applied, as before, so they see the same state they would
    /// have read one by one; the writes stay conditioned on it, and a plan it made stale fails and goes alone.
    /// </summary>
    private async Task<Dictionary<string, IReadOnlyDictionary<string, FileEntry>>> ReadHeadsAsync(IReadOnlyList<PendingCommit> commits, CancellationToken ct)
    {
        var heads = new Dictionary<string, IReadOnlyDictionary<string, FileEntry>>(StringComparer.Ordinal);
        foreach (var inNamespace in commits.GroupBy(c => c.At.NamespaceId, StringComparer.Ordinal))
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var commit in inNamespace)
            {
                keys.Add(commit.At.Inner.Key);
                keys.UnionWith(commit.At.Inner.Ancestors().Select(a => a.Key));
            }

            heads[inNamespace.Key] = await meta.GetEntriesAsync(inNamespace.Key, keys, ct);
        }

        return heads;
    }
}
