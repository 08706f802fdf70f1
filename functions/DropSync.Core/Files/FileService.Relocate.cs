using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>Move and copy: a file, or a folder with everything below it, planned from a few batch reads and landed in groups.</summary>
public sealed partial class FileService
{
    public Task<FileMetadata> MoveAsync(Caller caller, string? from, string? to, CancellationToken ct) => RelocateAsync(caller, from, to, move: true, ct);

    public Task<FileMetadata> CopyAsync(Caller caller, string? from, string? to, CancellationToken ct) => RelocateAsync(caller, from, to, move: false, ct);

    private async Task<FileMetadata> RelocateAsync(Caller caller, string? rawFrom, string? rawTo, bool move, CancellationToken ct)
    {
        var fromPath = DropPath.Parse(rawFrom, allowRoot: false);
        var toPath = DropPath.Parse(rawTo, allowRoot: false);
        var caseOnlyRename = move && fromPath.Key == toPath.Key;
        if (fromPath.Contains(toPath) && !caseOnlyRename)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.CantMoveIntoItself, $"\"{fromPath}\" cannot be moved or copied into itself.");
        }

        var view = await resolver.ViewAsync(caller, ct);
        var from = view.Resolve(fromPath);
        var to = view.Resolve(toPath);
        if (move && from.IsMountRoot)
        {
            return await RenameMountAsync(view, from, toPath, ct);
        }

        if (move)
        {
            from.RequireWrite();
        }

        to.RequireWrite();
        if (to.IsMountRoot)
        {
            throw Errors.Errors.Conflict(ErrorCodes.ToExists, $"\"{toPath}\" is a shared folder.");
        }

        var crossNamespace = from.NamespaceId != to.NamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var source = await meta.GetEntryAsync(from.NamespaceId, from.Inner.Key, ct);
            if (source is null || source.IsDeleted)
            {
                throw NotFound(fromPath);
            }

            if (caseOnlyRename && source.Name == toPath.Name)
            {
                return FileMetadata.From(source, from);
            }

            var (writes, parentDisplay) = await ParentPlan.BuildAsync(meta, caller, to.NamespaceId, to.Inner, now, ct);
            var target = caseOnlyRename ? null : await meta.GetEntryAsync(to.NamespaceId, to.Inner.Key, ct);
            if (target is { IsDeleted: false })
            {
                throw Errors.Errors.Conflict(ErrorCodes.ToExists, $"\"{toPath}\" already exists; move or delete it first.");
            }

            var newTop = DropPath.Parse(parentDisplay + "/" + to.Inner.Name, false);
            var sourcePath = DropPath.Parse(source.PathDisplay, false);
            await CheckSharesAsync(from, to, sourcePath, newTop, move, crossNamespace, writes, ct);

            var subtree = source.Kind == EntryKind.Folder ? await meta.ListAsync(from.NamespaceId, source.PathKey, recursive: true, ct) : [];
            if (subtree.Count + 1 > options.MaxCopyEntries)
            {
                // Dropbox answers too_many_files for a relocation this large rather than half-doing it.
                throw Errors.Errors.BadRequest(ErrorCodes.TooManyFiles, $"A copy or move takes at most {options.MaxCopyEntries} entries; this folder holds {subtree.Count + 1}. Copy or move its subfolders one by one.");
            }

            if (!move || crossNamespace)
            {
                // A copy, or a move into another owner's namespace, adds its bytes there.
                await quota.RequireRoomAsync(to.NamespaceId, subtree.Prepend(source).Sum(e => e.Kind == EntryKind.File ? e.Size : 0), ct);
            }

            var links = move ? await LinksToFollowAsync(from.NamespaceId, source.PathKey, now, ct) : EmptyLinks;
            var tombstones = new Dictionary<string, (string Rev, string NewPath)>(StringComparer.Ordinal);
            if (CanMoveFolderAtOnce(move, crossNamespace, caseOnlyRename, source, links))
            {
                if (await MoveFolderAtOnceAsync(from.NamespaceId, source, subtree, sourcePath, newTop, writes, caller, now, tombstones, ct) is { } landed)
                {
                    await FollowLateLinksAsync(from.NamespaceId, source.PathKey, to.NamespaceId, tombstones, ct);
                    return FileMetadata.From(landed, to);
                }

                continue;
            }

            FileEntry? movedTop = null;

            // The parent folders and share updates first, then each entry's writes as a group that lands together.
            var groups = new List<IReadOnlyList<MetadataWrite>> { writes };
            var relocated = subtree.Prepend(source).Select(e => (Entry: e, NewPath: DropPath.Parse(e.PathDisplay, false).Rebase(sourcePath, newTop))).ToList();
            var (atTargets, revisions) = await ReadRelocationTargetsAsync(from.NamespaceId, to.NamespaceId, relocated, crossNamespace, ct);
            foreach (var (entry, newPath) in relocated)
            {
                var entryWrites = new List<MetadataWrite>();
                groups.Add(entryWrites);
                var moved = entry with { NamespaceId = to.NamespaceId, PathDisplay = newPath.Display, Rev = Ids.NewRev(), ServerModified = now, DeviceId = caller.DeviceId };
                movedTop ??= moved;
                var keyUnchanged = !crossNamespace && newPath.Key == entry.PathKey;
                if (move && !keyUnchanged)
                {
                    var tombstone = entry with { Rev = Ids.NewRev(), IsDeleted = true, MovedAway = true, ServerModified = now, DeviceId = caller.DeviceId };
                    entryWrites.Add(new MetadataWrite.PutEntry(tombstone, new EntryExpectation.HasRev(entry.Rev)));
                    tombstones[entry.PathKey] = (tombstone.Rev, newPath.Display);
                }

                var existingAtTarget = keyUnchanged ? entry : atTargets.GetValueOrDefault(newPath.Key);
                entryWrites.Add(new MetadataWrite.PutEntry(moved, EntryExpectation.Matching(existingAtTarget)));
                if (entry.Kind == EntryKind.File)
                {
                    var revision = revisions.GetValueOrDefault(entry.Rev)
                        ?? throw new InvalidOperationException($"Revision {entry.Rev} of {entry.PathDisplay} is missing.");
                    entryWrites.Add(new MetadataWrite.AddRevision(revision with { NamespaceId = to.NamespaceId, Rev = moved.Rev, PathDisplay = moved.PathDisplay, ServerModified = now, DeviceId = caller.DeviceId }));
                }

                // One journal entry per entry, so a device that applies them one by one ends with the same tree. Across
                // namespaces a move is an add there and a delete here.
                var kind = crossNamespace ? ChangeKind.Added : move ? ChangeKind.Moved : ChangeKind.Copied;
                entryWrites.Add(new MetadataWrite.AppendChange(Changes.For(moved, kind, now, fromPath: crossNamespace ? null : entry.PathDisplay)));

                // Links follow their item in the batch that moves it, so however a big move is split (or interrupted),
                // each link points where its item is. Into another namespace too: whether the link still opens there
                // is LinkService's rule for links outside their creator's namespace (the creator must still see it).
                foreach (var link in links[entry.PathKey])
                {
                    entryWrites.Add(FollowLink(link, to.NamespaceId, newPath.Display));
                }
            }

            if (move && crossNamespace)
            {
                groups.Add([new MetadataWrite.AppendChange(Changes.For(source with { Rev = Ids.NewRev(), IsDeleted = true, DeviceId = caller.DeviceId }, ChangeKind.Deleted, now))]);
            }

            var (applied, batches) = await ApplyGroupsAsync(groups, ct);
            if (applied)
            {
                if (move)
                {
                    await FollowLateLinksAsync(from.NamespaceId, source.PathKey, to.NamespaceId, tombstones, ct);
                }

                return FileMetadata.From(movedTop!, to);
            }

            if (batches > 0)
            {
                // Only a store with bounded batches gets here: part of a big folder landed before something changed in it.
                // Late links to what did move still follow it (the tombstone check skips what did not).
                if (move)
                {
                    await FollowLateLinksAsync(from.NamespaceId, source.PathKey, to.NamespaceId, tombstones, ct);
                }

                throw Errors.Errors.Conflict(
                    ErrorCodes.MoveInterrupted,
                    $"\"{fromPath}\" changed while it was being {(move ? "moved" : "copied")}: part of it is already at \"{toPath}\" and the rest is where it was. Nothing was lost; move or copy what is left.");
            }
        }

        throw TooBusy(fromPath);
    }

    /// <summary>
    /// What a relocation reads per entry, in two batch reads rather than two point reads an entry (a 5,000-file folder
    /// took ~0.9 ms an entry that way): what is now at each new path, unless it is the entry itself (a case-only rename),
    /// tombstones included, since a write over a tombstone must expect its rev; and each file's revision, to copy.
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, FileEntry> AtTargets, IReadOnlyDictionary<string, FileRevision> Revisions)> ReadRelocationTargetsAsync(
        string fromNs, string toNs, IReadOnlyList<(FileEntry Entry, DropPath NewPath)> relocated, bool crossNamespace, CancellationToken ct)
    {
        var targetKeys = relocated.Where(r => crossNamespace || r.NewPath.Key != r.Entry.PathKey).Select(r => r.NewPath.Key).ToList();
        var revs = relocated.Where(r => r.Entry.Kind == EntryKind.File).Select(r => r.Entry.Rev).ToList();
        var atTargets = targetKeys.Count == 0 ? new Dictionary<string, FileEntry>() : await meta.GetEntriesAsync(toNs, targetKeys, ct);
        var revisions = revs.Count == 0 ? new Dictionary<string, FileRevision>() : await meta.GetRevisionsAsync(fromNs, revs, ct);
        return (atTargets, revisions);
    }

    /// <summary>
    /// Shares move with their folders; they may not end up inside another share, nor leave their owner's namespace.
    /// </summary>
    private async Task CheckSharesAsync(Location from, Location to, DropPath sourcePath, DropPath newTop, bool move, bool crossNamespace, List<MetadataWrite> writes, CancellationToken ct)
    {
        if (!move)
        {
            // A copy of a shared folder is an ordinary folder.
            return;
        }

        var inside = await SharesWithinAsync(from.NamespaceId, sourcePath, ct);
        if (inside.Count > 0 && crossNamespace)
        {
            throw Errors.Errors.Conflict(ErrorCodes.NestedShare, "A folder you share cannot be moved into a folder shared with you; unshare it first.");
        }

        var others = (await sharing.ListSharesInNamespaceAsync(to.NamespaceId, ct)).Where(s => inside.All(i => i.ShareId != s.ShareId)).ToList();
        foreach (var share in inside)
        {
            var newFolder = DropPath.Parse(share.FolderPath, false).Rebase(sourcePath, newTop);
            if (others.Any(o => DropPath.Parse(o.FolderPath, false).Contains(newFolder) || newFolder.Contains(DropPath.Parse(o.FolderPath, false))))
            {
                throw Errors.Errors.Conflict(ErrorCodes.NestedShare, "A shared folder cannot be put inside another shared folder.");
            }

            writes.Add(new MetadataWrite.PutShare(share with { FolderPath = newFolder.Display }, MustBeNew: false));
        }
    }

    private static readonly ILookup<string, SharedLink> EmptyLinks = Array.Empty<SharedLink>().ToLookup(l => l.Path);

    /// <summary>
    /// The links to the item or anything below it that can still be opened, by the key of what they point to. A
    /// revoked or expired link never opens again, so it stays where it was: the work of a move is bounded by the live
    /// links (<see cref="LinkService.MaxLiveLinksPerItem"/> an item), however many links were made over time.
    /// </summary>
    private async Task<ILookup<string, SharedLink>> LinksToFollowAsync(string ns, string pathKey, DateTimeOffset now, CancellationToken ct) =>
        (await sharing.ListLinksAtOrBelowAsync(ns, pathKey, ct))
        .Where(l => LinkService.CanOpen(l, now))
        .ToLookup(l => DropPath.KeyOf(l.Path), StringComparer.Ordinal);

    /// <summary>
    /// Moves the links made while this move was being planned (after it read the links, before its batches landed),
    /// which it left at the old paths. Only a link whose old path still holds the tombstone this move left is moved:
    /// that link was made for the item that moved. Together with <see cref="LinkService.CreateAsync"/>, which looks at
    /// the item again after storing a link, one side always sees the other, so no new link is silently left behind.
    /// </summary>
    private async Task FollowLateLinksAsync(string fromNs, string topKey, string toNs, Dictionary<string, (string Rev, string NewPath)> tombstones, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var link in await sharing.ListLinksAtOrBelowAsync(fromNs, topKey, ct))
        {
            var key = DropPath.KeyOf(link.Path);
            if (LinkService.CanOpen(link, now) && tombstones.TryGetValue(key, out var moved))
            {
                // A failure means the old path changed again since; the link then stays, as it would have before.
                await ApplyAsync([new MetadataWrite.CheckEntry(fromNs, key, new EntryExpectation.HasRev(moved.Rev)), FollowLink(link, toNs, moved.NewPath)], ct);
            }
        }
    }

    /// <summary>
    /// Where a link goes when its item moves. The creator's own view of a path in their own namespace is that path; a
    /// link in someone else's namespace keeps its stored view path, which list_links replaces by the creator's current
    /// view of it.
    /// </summary>
    private static MetadataWrite.MoveLink FollowLink(SharedLink link, string toNs, string newPath) =>
        new(link, toNs, newPath, Namespaces.RootOf(link.OwnerUserId) == toNs ? newPath : link.OwnerViewPath);

    private async Task<FileMetadata> RenameMountAsync(UserView view, Location from, DropPath toPath, CancellationToken ct)
    {
        if (toPath.Components.Count != 1 || view.Resolve(toPath).Membership is not null)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidMountPath, "A folder shared with you stays at the top of your tree; pick a new top-level name for it.");
        }

        if (await meta.GetEntryAsync(view.Caller.RootNamespaceId, toPath.Key, ct) is { IsDeleted: false })
        {
            throw Errors.Errors.Conflict(ErrorCodes.ToExists, $"\"{toPath}\" already exists; move or delete it first.");
        }

        var member = from.Membership!.Member with { MountPath = toPath.Display };
        var now = clock.GetUtcNow();
        var writes = new List<MetadataWrite>
        {
            new MetadataWrite.PutMember(member),
            new MetadataWrite.AppendChange(SharingWrites.MountChange(view.Caller.RootNamespaceId, ChangeKind.Moved, toPath.Display, from.ViewRoot.Display, view.Caller.DeviceId, now)),
        };
        await ApplyOrThrowAsync(writes, toPath, ct);
        return new FileMetadata("folder", toPath.Display, toPath.Name, null, null, null, null, null);
    }

    private async Task<IReadOnlyList<Share>> SharesWithinAsync(string ns, DropPath folder, CancellationToken ct) =>
        (await sharing.ListSharesInNamespaceAsync(ns, ct)).Where(s => folder.Contains(DropPath.Parse(s.FolderPath, false))).ToList();
}
