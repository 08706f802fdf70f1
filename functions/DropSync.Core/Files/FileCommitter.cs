using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Diagnostics;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>
/// Commits new content at a path with optimistic concurrency: it reads the head, decides, and applies one atomic batch
/// conditioned on the head it read; if another commit got there first it reads again. Of many commits racing on one
/// path, the first one the store applies wins; a loser in <c>add</c> or <c>update</c> mode is not lost but committed
/// as a conflicted copy beside the winner, and the caller gets a <c>conflict</c> error naming both.
/// </summary>
public sealed partial class FileCommitter(IFileMetadataStore meta, IChangePublisher publisher, TimeProvider clock, StorageQuota quota)
{
    private const int MaxAttempts = 32;

    public Task<FileEntry> CommitAsync(
        Caller caller, Location at, NewContent content, WriteMode mode, string? expectedRev, ChangeKind? kind, CancellationToken ct) =>
        CommitAsync(caller, at, content, mode, expectedRev, kind, null, ct);

    /// <summary>
    /// As above, storing <paramref name="carried"/> (a block of the content, sealed but not stored yet) in the same durable
    /// write as the commit: a small upload then waits for one group commit, not two. Whatever the outcome, the block is
    /// stored if the commit reached the store; the caller disposes it.
    /// </summary>
    public async Task<FileEntry> CommitAsync(
        Caller caller, Location at, NewContent content, WriteMode mode, string? expectedRev, ChangeKind? kind, CarriedBlock? carried, CancellationToken ct)
    {
        at.RequireWrite();
        await quota.RequireRoomAsync(at.NamespaceId, content.Size, ct);
        var outcome = await TryCommitAsync(caller, at, content, mode, expectedRev, kind, carried, ct);
        if (outcome.Committed is { } committed)
        {
            quota.Charge(at.NamespaceId, content.Size);
            return committed;
        }

        var current = FileMetadata.From(outcome.ConflictWith!, at);
        var why = await ConflictReasonAsync(at, current, mode, expectedRev, ct);
        var copy = FileMetadata.From(await CommitConflictedCopyAsync(caller, at, content, carried, ct), at);
        throw Errors.Errors.Conflict(
            ErrorCodes.Conflict,
            $"{why} Your version was kept as \"{copy.Path}\"; compare the two and keep what you need.",
            new Dictionary<string, object?> { ["current"] = current, ["conflicted_copy"] = copy });
    }

    /// <summary>
    /// What actually stopped the commit, said without guessing who made the change: the caller's own device may have
    /// made it (a stale rev), and an unknown rev may simply be wrong.
    /// </summary>
    private async Task<string> ConflictReasonAsync(Location at, FileMetadata current, WriteMode mode, string? expectedRev, CancellationToken ct)
    {
        if (mode != WriteMode.Update)
        {
            return $"\"{current.Path}\" already exists with different content (mode=add never replaces a file; use mode=update with its rev, or mode=overwrite).";
        }

        var expected = string.IsNullOrEmpty(expectedRev) ? null : await meta.GetRevisionAsync(at.NamespaceId, expectedRev, ct);
        return expected is not null && expected.PathKey == at.Inner.Key
            ? $"\"{current.Path}\" has changed since revision {expectedRev}: its current revision is {current.Rev}."
            : $"Revision {expectedRev} is not the current revision of \"{current.Path}\", which is at revision {current.Rev}.";
    }

    private async Task<FileEntry> CommitConflictedCopyAsync(Caller caller, Location at, NewContent content, CarriedBlock? carried, CancellationToken ct)
    {
        var path = at.Inner;
        foreach (var name in ConflictNames.Candidates(path.Name, caller.DeviceName, clock.GetUtcNow()).Take(1000))
        {
            var candidate = at.At(path.Parent.Child(name));
            var outcome = await TryCommitAsync(caller, candidate, content, WriteMode.Add, null, ChangeKind.Added, carried, ct);
            if (outcome.Committed is { } copy)
            {
                return copy;
            }
        }

        throw new DropSyncException(ErrorKind.Conflict, ErrorCodes.Conflict, $"Too many conflicted copies of \"{path.Name}\" exist; clean some up and try again.");
    }

    private async Task<(FileEntry? Committed, FileEntry? ConflictWith)> TryCommitAsync(
        Caller caller, Location at, NewContent content, WriteMode mode, string? expectedRev, ChangeKind? kind, CarriedBlock? carried, CancellationToken ct)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var plan = await PlanAsync(caller, at, content, mode, expectedRev, kind, null, null, ct);
            RequestStages.Mark("planned (reads)");
            if (plan.Writes is null)
            {
                if (plan.Unchanged is not null && carried is not null)
                {
                    // The content is there already; the uploader is still recorded as holding the block, as when blocks were stored first.
                    await carried.StoreAloneAsync(ct);
                }

                return (plan.Unchanged, plan.ConflictWith);
            }

            // The first attempt carries the block; once stored (kept even if this batch lost its race), later attempts commit alone.
            var result = carried is { IsStored: false } ? await carried.ApplyWithAsync(plan.Writes, ct) : await meta.ApplyAsync(plan.Writes, ct);
            RequestStages.Mark("answered (hop back)");
            if (result.Applied)
            {
                // Published after the commit, whatever happens to the request now: the change is durable.
                await publisher.PublishAsync(result.Changes, CancellationToken.None);
                RequestStages.Mark("published");
                return (plan.Entry, null);
            }
        }

        throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.TooManyWrites, $"\"{at.Inner.Name}\" is changing too fast to commit; try again in a moment.");
    }

    /// <summary>
    /// Reads the head (and the folders above it) and decides: the writes that commit the content, conditioned on what
    /// was read; or no writes, with the live entry that already holds this content or the one it conflicts with.
    /// <paramref name="folders"/>, when given, remembers folders across the plans of one batch (see <see cref="ParentPlan"/>);
    /// <paramref name="batchRead"/>, when given, holds the path's and its folders' entries as read for the whole batch.
    /// </summary>
    private async Task<CommitPlan> PlanAsync(
        Caller caller, Location at, NewContent content, WriteMode mode, string? expectedRev, ChangeKind? kind,
        Dictionary<string, string>? folders, IReadOnlyDictionary<string, FileEntry>? batchRead, CancellationToken ct)
    {
        var ns = at.NamespaceId;
        var path = at.Inner;
        var now = clock.GetUtcNow();
        // The folders above and the path itself in one read (one snapshot, one query) when nothing is known of them yet.
        var read = batchRead
            ?? (folders is null && path.Components.Count > 1 ? await meta.GetEntriesAsync(ns, [.. path.Ancestors().Select(a => a.Key), path.Key], ct) : null);
        var (writes, parentDisplay) = await ParentPlan.BuildAsync(meta, caller, ns, path, now, folders, read, ct);
        var current = read is not null ? read.GetValueOrDefault(path.Key) : await meta.GetEntryAsync(ns, path.Key, ct);
        var live = current is { IsDeleted: false } ? current : null;
        if (live is { Kind: EntryKind.Folder })
        {
            throw Errors.Errors.Conflict(ErrorCodes.PathIsFolder, $"\"{at.ToView(live.PathDisplay)}\" is a folder; choose another name for the file.");
        }

        if (live is not null && live.Name != path.Name)
        {
            throw Errors.Errors.Conflict(
                ErrorCodes.NameClash,
                $"\"{at.ToView(live.PathDisplay)}\" already exists, and names that differ only by case or Unicode form are the same name in DropSync. Use that name, or move it first.");
        }

        if (live is not null)
        {
            var allowed = mode switch
            {
                WriteMode.Overwrite => true,
                WriteMode.Update => live.Rev == expectedRev,
                _ => false,
            };
            if (!allowed)
            {
                // Uploading what is already there is not a conflict (a retried request, or two devices with the same edit).
                var sameContent = live.Size == content.Size
                    && (ContentHash.SameContent(live.ContentHash, content.ContentHash) ?? await SameByNamesAsync(ns, live, content, ct));
                return sameContent ? CommitPlan.AlreadyThere(live) : CommitPlan.Conflicting(live);
            }
        }

        var entry = new FileEntry
        {
            NamespaceId = ns,
            PathDisplay = live?.PathDisplay ?? parentDisplay + "/" + path.Name,
            Kind = EntryKind.File,
            Rev = Ids.NewRev(),
            Size = content.Size,
            ContentHash = content.ContentHash,
            ServerModified = now,
            DeviceId = caller.DeviceId,
        };
        var revision = new FileRevision
        {
            NamespaceId = ns,
            Rev = entry.Rev,
            PathDisplay = entry.PathDisplay,
            Size = content.Size,
            ContentHash = content.ContentHash,
            ServerModified = now,
            DeviceId = caller.DeviceId,
            Blocks = content.Blocks,
        };
        writes.Add(new MetadataWrite.PutEntry(entry, EntryExpectation.Matching(current)));
        writes.Add(new MetadataWrite.AddRevision(revision));
        writes.Add(new MetadataWrite.AppendChange(Changes.For(entry, kind ?? (live is null ? ChangeKind.Added : ChangeKind.Edited), now)));
        return new CommitPlan(writes, entry, null, null);
    }

    /// <summary>
    /// Whether content hashed in the other kind (<see cref="ContentHashKind"/>) is the live file's bytes, as far as block
    /// names prove it: the one whose kind follows from names is derived from the other's block list. Same bytes cut into
    /// other blocks stay unproven (a conflicted copy, as before: nothing is lost).
    /// </summary>
    private async Task<bool> SameByNamesAsync(string ns, FileEntry live, NewContent content, CancellationToken ct)
    {
        if (live.ContentHash is null)
        {
            return false;
        }

        if (ContentHash.FromNames(content.Blocks, ContentHash.KindOf(live.ContentHash)) == live.ContentHash)
        {
            return true;
        }

        var revision = await meta.GetRevisionAsync(ns, live.Rev, ct);
        return revision is not null && ContentHash.FromNames(revision.Blocks, ContentHash.KindOf(content.ContentHash)) == content.ContentHash;
    }

    /// <summary>Either writes that commit <see cref="Entry"/>, or (no writes) the entry already holding the content, or the one in the way.</summary>
    private sealed record CommitPlan(List<MetadataWrite>? Writes, FileEntry? Entry, FileEntry? Unchanged, FileEntry? ConflictWith)
    {
        public static CommitPlan AlreadyThere(FileEntry live) => new(null, null, live, null);

        public static CommitPlan Conflicting(FileEntry live) => new(null, null, null, live);
    }
}
