using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Retention;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>
/// Reading and organising files: metadata, listings, revisions, downloads, folders, delete, move, copy, restore. Every
/// path is the caller's view: it is resolved to its namespace (the caller's own, or the owner's for a shared folder),
/// and paths in answers are mapped back.
/// </summary>
public sealed partial class FileService(
    IFileMetadataStore meta,
    ISharingStore sharing,
    IBlockStore blockStore,
    IBlockTransferUrls urls,
    FileCommitter committer,
    PathResolver resolver,
    IChangePublisher publisher,
    DropSyncOptions options,
    TimeProvider clock,
    StorageQuota quota,
    IRetentionStore? retention = null)
{
    private const int MaxAttempts = 16;

    /// <summary>
    /// What ending a share weighs against <see cref="IFileMetadataStore.MaxWritesPerBatch"/>, which allows about two
    /// DynamoDB items a write: a share ends as three items (its two and its folder's) and each member as about five (its
    /// two member items, its mount, its journal entry, its namespace's head), so they count as 2 and 4 writes, leaving
    /// room under the 100 items of a transaction.
    /// </summary>
    private const int WritesPerEndedShare = 2;

    private const int WritesPerRemovedMember = 4;

    /// <summary>
    /// What moving a link weighs: in DynamoDB its three copies and its by-path item (removed and put) are five items,
    /// which <see cref="IFileMetadataStore.MaxWritesPerBatch"/>'s two items a write counts as three writes.
    /// </summary>
    private const int WritesPerMovedLink = 3;

    public async Task<FileMetadata> GetMetadataAsync(Caller caller, string? rawPath, bool includeDeleted, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        if (path.IsRoot)
        {
            return FileMetadata.RootFolder;
        }

        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        var entry = await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
        return entry is null || (entry.IsDeleted && !includeDeleted) ? throw NotFound(path) : FileMetadata.From(entry, at);
    }

    public async Task<IReadOnlyList<FileMetadata>> ListFolderAsync(Caller caller, string? rawPath, bool recursive, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var view = await resolver.ViewAsync(caller, ct);
        var at = view.Resolve(path);
        await RequireFolderAsync(at, path, ct);
        var entries = (await meta.ListAsync(at.NamespaceId, at.Inner.Key, recursive, ct)).Select(e => FileMetadata.From(e, at)).ToList();
        if (at.Membership is null)
        {
            // Shared folders mounted in the caller's tree appear where they are mounted.
            foreach (var place in view.Places().Skip(1))
            {
                if (place.ViewRoot.Parent.Key == path.Key || (recursive && path.Contains(place.ViewRoot)))
                {
                    var root = await meta.GetEntryAsync(place.NamespaceId, place.InnerRoot.Key, ct);
                    if (root is { IsDeleted: false })
                    {
                        entries.Add(FileMetadata.From(root, place));
                    }

                    if (recursive)
                    {
                        entries.AddRange((await meta.ListAsync(place.NamespaceId, place.InnerRoot.Key, true, ct)).Select(e => FileMetadata.From(e, place)));
                    }
                }
            }
        }

        return entries.OrderBy(e => DropPath.KeyOf(e.Path), StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<FileMetadata>> ListDeletedAsync(Caller caller, string? rawPath, int limit, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        var entries = await meta.ListDeletedAsync(at.NamespaceId, at.Inner.Key, Math.Clamp(limit, 1, 2000), ct);
        var now = clock.GetUtcNow();

        // Deletions past the retention policy are gone even before the collector forgets them.
        return entries.Where(e => RetentionRule.IsDeletionKept(e, Retention, now)).Select(e => FileMetadata.From(e, at)).ToList();
    }

    public async Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(Caller caller, string? rawPath, int limit, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        if (limit is < 1 or > 100)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidLimit, "limit is 1 to 100.");
        }

        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        var revisions = await KeptAsync(at, await meta.ListRevisionsAsync(at.NamespaceId, at.Inner.Key, limit, ct), ct);
        return revisions.Count == 0
            ? throw NotFound(path)
            : revisions.Select(r => r with { PathDisplay = at.ToView(r.PathDisplay) ?? path.Display }).ToList();
    }

    public async Task<FileMetadata> RestoreAsync(Caller caller, string? rawPath, string? rev, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(rev))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.MissingRev, "rev is required: the revision to restore (see /files/list_revisions).");
        }

        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        at.RequireWrite();
        var (_, revision) = await ReadRevisionAsync(at, path, rev, ct);
        var entry = await committer.CommitAsync(
            caller, at, new NewContent(revision.Blocks, revision.Size, revision.ContentHash), WriteMode.Overwrite, null, ChangeKind.Restored, ct);
        return FileMetadata.From(entry, at);
    }

    public async Task<FileMetadata> CreateFolderAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        at.RequireWrite();
        var ns = at.NamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var (writes, parentDisplay) = await ParentPlan.BuildAsync(meta, caller, ns, at.Inner, now, ct);
            var current = await meta.GetEntryAsync(ns, at.Inner.Key, ct);
            if (current is { IsDeleted: false })
            {
                throw Errors.Errors.Conflict(ErrorCodes.PathExists, $"\"{at.ToView(current.PathDisplay)}\" already exists.");
            }

            var folder = new FileEntry
            {
                NamespaceId = ns,
                PathDisplay = parentDisplay + "/" + at.Inner.Name,
                Kind = EntryKind.Folder,
                Rev = Ids.NewRev(),
                ServerModified = now,
                DeviceId = caller.DeviceId,
            };
            writes.Add(new MetadataWrite.PutEntry(folder, EntryExpectation.Matching(current)));
            writes.Add(new MetadataWrite.AppendChange(Changes.For(folder, ChangeKind.FolderCreated, now)));
            if (await ApplyAsync(writes, ct))
            {
                return FileMetadata.From(folder, at);
            }
        }

        throw TooBusy(path);
    }

    /// <summary>
    /// Deletes a file, or a folder with everything below it; revisions stay, so each file can be restored. Deleting the top
    /// of a folder shared with you leaves it; deleting a folder you shared ends the share for everyone.
    /// </summary>
    public async Task<FileMetadata> DeleteAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        if (at.IsMountRoot)
        {
            var now = clock.GetUtcNow();
            await ApplyOrThrowAsync(SharingWrites.Leave(at.Membership!, caller.DeviceId, now), path, ct);
            return new FileMetadata("deleted", path.Display, path.Name, null, null, null, now, caller.DeviceId);
        }

        at.RequireWrite();
        var ns = at.NamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var current = await meta.GetEntryAsync(ns, at.Inner.Key, ct);
            if (current is null || current.IsDeleted)
            {
                throw NotFound(path);
            }

            var subtree = current.Kind == EntryKind.Folder ? await meta.ListAsync(ns, current.PathKey, recursive: true, ct) : [];
            var tombstones = subtree.Prepend(current)
                .Select(entry => entry with { Rev = Ids.NewRev(), IsDeleted = true, ServerModified = now, DeviceId = caller.DeviceId })
                .Zip(subtree.Prepend(current), (tombstone, entry) => new MetadataWrite.PutEntry(tombstone, new EntryExpectation.HasRev(entry.Rev)))
                .ToList();
            var shares = new List<(Share Share, IReadOnlyList<ShareMember> Members)>();
            foreach (var share in await SharesWithinAsync(ns, at.Inner, ct))
            {
                shares.Add((share, await sharing.ListMembersAsync(share.ShareId, ct)));
            }

            // One journal entry for the top: a device deleting a folder removes what is below it. When the store takes
            // fewer writes per batch, the folder goes in several batches, deepest entries first, each batch journalling
            // what it deleted, so an interruption leaves a smaller folder that deleting again finishes.
            var topChange = new MetadataWrite.AppendChange(Changes.For(tombstones[0].Entry, ChangeKind.Deleted, now));
            var whole = tombstones.Count + 1 + shares.Sum(s => WritesPerEndedShare + (WritesPerRemovedMember * s.Members.Count)) <= meta.MaxWritesPerBatch;
            IReadOnlyList<IReadOnlyList<MetadataWrite>> groups;
            if (whole)
            {
                groups = [[.. tombstones, topChange, .. shares.SelectMany(s => SharingWrites.EndShare(s.Share, s.Members, caller.DeviceId, now))]];
            }
            else
            {
                // Too big for one batch: the members lose access first, a few per batch, then the memberless shares end,
                // then the folder goes. An interruption leaves the folder in place (shared with fewer people or none),
                // never a share of a deleted folder; deleting again finishes.
                var chunks = shares.SelectMany(s => s.Members.Chunk(Math.Max(1, meta.MaxWritesPerBatch / WritesPerRemovedMember)).Select(chunk => (s.Share, chunk)));
                var membersRemoved = true;
                foreach (var (share, chunk) in chunks)
                {
                    // A member who left meanwhile fails its chunk: start again from the members there are now.
                    if (!await ApplyAsync([.. SharingWrites.RemoveMembers(share, chunk, caller.DeviceId, now)], ct))
                    {
                        membersRemoved = false;
                        break;
                    }
                }

                if (!membersRemoved)
                {
                    continue;
                }

                groups = [
                    [.. shares.Select(s => new MetadataWrite.DeleteShare(s.Share.ShareId))],
                    .. tombstones.Skip(1).Reverse().Select(t => (IReadOnlyList<MetadataWrite>)[t, new MetadataWrite.AppendChange(Changes.For(t.Entry, ChangeKind.Deleted, now))]),
                    [tombstones[0], topChange],
                ];
            }

            if ((await ApplyGroupsAsync(groups, ct)).Applied)
            {
                return FileMetadata.From(current, at);
            }
        }

        throw TooBusy(path);
    }

    private async Task RequireFolderAsync(Location at, DropPath shownAs, CancellationToken ct)
    {
        if (at.Inner.IsRoot)
        {
            return;
        }

        var entry = await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
        if (entry is null || entry.IsDeleted)
        {
            throw NotFound(shownAs);
        }

        if (entry.Kind != EntryKind.Folder)
        {
            throw Errors.Errors.Conflict(ErrorCodes.NotFolder, $"\"{shownAs}\" is a file, not a folder.");
        }
    }

    private async Task ApplyOrThrowAsync(IReadOnlyList<MetadataWrite> writes, DropPath path, CancellationToken ct)
    {
        if (!await ApplyAsync(writes, ct))
        {
            throw Errors.Errors.Conflict(ErrorCodes.PathExists, $"\"{path}\" is taken; pick another name.");
        }
    }

    /// <summary>
    /// Applies groups of writes (each group must land together) in as few atomic batches as the store allows, in order.
    /// Stops at the first batch whose expectations fail; the batches before it stay applied (their count is answered),
    /// and the caller plans again from what is now there.
    /// </summary>
    private async Task<(bool Applied, int BatchesApplied)> ApplyGroupsAsync(IReadOnlyList<IReadOnlyList<MetadataWrite>> groups, CancellationToken ct)
    {
        var chunk = new List<MetadataWrite>();
        var batches = 0;
        var weight = 0;
        foreach (var group in groups.Where(g => g.Count > 0))
        {
            var groupWeight = group.Sum(w => w is MetadataWrite.MoveLink ? WritesPerMovedLink : 1);
            if (chunk.Count > 0 && weight + groupWeight > meta.MaxWritesPerBatch)
            {
                if (!await ApplyAsync(chunk, ct))
                {
                    return (false, batches);
                }

                batches++;
                chunk = [];
                weight = 0;
            }

            chunk.AddRange(group);
            weight += groupWeight;
        }

        return chunk.Count == 0 || await ApplyAsync(chunk, ct) ? (true, batches + 1) : (false, batches);
    }

    private async Task<bool> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken ct)
    {
        var result = await meta.ApplyAsync(writes, ct);
        if (result.Applied)
        {
            await publisher.PublishAsync(result.Changes, CancellationToken.None);
        }

        return result.Applied;
    }

    private RetentionPolicy Retention { get; } = RetentionPolicy.From(options);

    /// <summary>The revisions (newest first, as listed) the retention policy still keeps.</summary>
    private async Task<IReadOnlyList<FileRevision>> KeptAsync(Location at, IReadOnlyList<FileRevision> revisions, CancellationToken ct)
    {
        var entry = revisions.Count == 0 ? null : await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
        if (entry is null)
        {
            return revisions;
        }

        var history = new FileHistory(entry, revisions.Select(r => new RevisionStamp(r.Rev, r.ServerModified)).ToList());
        var expired = RetentionRule.Apply(history, Retention, clock.GetUtcNow()).ExpiredRevs;
        return expired.Count == 0 ? revisions : revisions.Where(r => !expired.Contains(r.Rev)).ToList();
    }

    /// <summary>Whether a named revision of this path is still kept; a revision past the policy reads as unknown.</summary>
    private async Task<bool> IsKeptAsync(Location at, string rev, CancellationToken ct)
    {
        if (retention is null)
        {
            return true;
        }

        var history = await retention.GetHistoryAsync(at.NamespaceId, at.Inner.Key, Retention.MaxRevisionsPerFile, ct);
        return history is null || RetentionRule.IsKept(history, rev, Retention, clock.GetUtcNow());
    }

    private static DropSyncException NotFound(DropPath path) =>
        Errors.Errors.NotFound(ErrorCodes.NotFound, $"Nothing is at \"{path}\".");

    private static DropSyncException TooBusy(DropPath path) =>
        new(ErrorKind.Unavailable, ErrorCodes.TooManyWrites, $"\"{path}\" is changing too fast; try again in a moment.");
}
