using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>Reading and organising files: metadata, listings, revisions, downloads, folders, delete, move, copy, restore.</summary>
public sealed class FileService(
    IFileMetadataStore meta,
    IBlockStore blockStore,
    IBlockTransferUrls urls,
    FileCommitter committer,
    IChangePublisher publisher,
    DropSyncOptions options,
    TimeProvider clock)
{
    private const int MaxAttempts = 16;

    public async Task<FileMetadata> GetMetadataAsync(Caller caller, string? rawPath, bool includeDeleted, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        if (path.IsRoot)
        {
            return FileMetadata.RootFolder;
        }

        var entry = await meta.GetEntryAsync(caller.RootNamespaceId, path.Key, ct);
        return entry is null || (entry.IsDeleted && !includeDeleted) ? throw NotFound(path) : FileMetadata.From(entry);
    }

    public async Task<IReadOnlyList<FileMetadata>> ListFolderAsync(Caller caller, string? rawPath, bool recursive, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        await RequireFolderAsync(caller, path, ct);
        var entries = await meta.ListAsync(caller.RootNamespaceId, path.Key, recursive, ct);
        return entries.Select(FileMetadata.From).ToList();
    }

    public async Task<IReadOnlyList<FileMetadata>> ListDeletedAsync(Caller caller, string? rawPath, int limit, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var entries = await meta.ListDeletedAsync(caller.RootNamespaceId, path.Key, Math.Clamp(limit, 1, 2000), ct);
        return entries.Select(FileMetadata.From).ToList();
    }

    public async Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(Caller caller, string? rawPath, int limit, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        if (limit is < 1 or > 100)
        {
            throw Errors.Errors.BadRequest("invalid_limit", "limit is 1 to 100.");
        }

        var revisions = await meta.ListRevisionsAsync(caller.RootNamespaceId, path.Key, limit, ct);
        return revisions.Count == 0 ? throw NotFound(path) : revisions;
    }

    /// <summary>The revision to read: the current one, or the named one of this path.</summary>
    public async Task<(FileMetadata Metadata, FileRevision Revision)> ResolveRevisionAsync(Caller caller, string? rawPath, string? rev, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        FileRevision? revision;
        if (string.IsNullOrEmpty(rev))
        {
            var entry = await meta.GetEntryAsync(caller.RootNamespaceId, path.Key, ct);
            if (entry is null || entry.IsDeleted)
            {
                throw NotFound(path);
            }

            if (entry.Kind == EntryKind.Folder)
            {
                throw Errors.Errors.Conflict("path_is_folder", $"\"{entry.PathDisplay}\" is a folder; download its files one by one.");
            }

            revision = await meta.GetRevisionAsync(caller.RootNamespaceId, entry.Rev, ct);
        }
        else
        {
            revision = await meta.GetRevisionAsync(caller.RootNamespaceId, rev, ct);
            if (revision is not null && revision.PathKey != path.Key)
            {
                revision = null;
            }
        }

        if (revision is null)
        {
            throw Errors.Errors.NotFound("rev_not_found", $"\"{path.Display}\" has no revision {rev}; list them with /files/list_revisions.");
        }

        var metadata = new FileMetadata("file", revision.PathDisplay, path.Name, revision.Rev, revision.Size, revision.ContentHash, revision.ServerModified, revision.DeviceId);
        return (metadata, revision);
    }

    public Stream OpenContent(FileRevision revision) => new BlockContentStream(blockStore, revision.Blocks, revision.ContentHash);

    public async Task<BlockList> GetBlocksAsync(Caller caller, string? rawPath, string? rev, CancellationToken ct)
    {
        var (metadata, revision) = await ResolveRevisionAsync(caller, rawPath, rev, ct);
        long offset = 0;
        var list = new List<BlockDownload>(revision.Blocks.Count);
        foreach (var block in revision.Blocks)
        {
            var url = urls.DownloadUrl(caller.UserId, block.Hash, options.BlockUrlLifetime);
            list.Add(new BlockDownload(block.Hash.Hex, block.Size, offset, url.Url, url.ExpiresAt));
            offset += block.Size;
        }

        return new BlockList(metadata, list);
    }

    public async Task<FileMetadata> RestoreAsync(Caller caller, string? rawPath, string? rev, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(rev))
        {
            throw Errors.Errors.BadRequest("missing_rev", "rev is required: the revision to restore (see /files/list_revisions).");
        }

        var (_, revision) = await ResolveRevisionAsync(caller, rawPath, rev, ct);
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var entry = await committer.CommitAsync(
            caller, path, new NewContent(revision.Blocks, revision.Size, revision.ContentHash), WriteMode.Overwrite, null, ChangeKind.Restored, ct);
        return FileMetadata.From(entry);
    }

    public async Task<FileMetadata> CreateFolderAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var ns = caller.RootNamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var (writes, parentDisplay) = await ParentPlan.BuildAsync(meta, caller, ns, path, now, ct);
            var current = await meta.GetEntryAsync(ns, path.Key, ct);
            if (current is { IsDeleted: false })
            {
                throw Errors.Errors.Conflict("path_exists", $"\"{current.PathDisplay}\" already exists.");
            }

            var folder = new FileEntry
            {
                NamespaceId = ns,
                PathDisplay = parentDisplay + "/" + path.Name,
                Kind = EntryKind.Folder,
                Rev = Ids.NewRev(),
                ServerModified = now,
                DeviceId = caller.DeviceId,
            };
            writes.Add(new MetadataWrite.PutEntry(folder, EntryExpectation.Matching(current)));
            writes.Add(new MetadataWrite.AppendChange(Changes.For(folder, ChangeKind.FolderCreated, now)));
            if (await ApplyAsync(writes, ct))
            {
                return FileMetadata.From(folder);
            }
        }

        throw TooBusy(path);
    }

    /// <summary>Deletes a file, or a folder with everything below it. Revisions stay, so each file can be restored.</summary>
    public async Task<FileMetadata> DeleteAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var ns = caller.RootNamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var current = await meta.GetEntryAsync(ns, path.Key, ct);
            if (current is null || current.IsDeleted)
            {
                throw NotFound(path);
            }

            var writes = new List<MetadataWrite>();
            var subtree = current.Kind == EntryKind.Folder ? await meta.ListAsync(ns, current.PathKey, recursive: true, ct) : [];
            foreach (var entry in subtree.Prepend(current))
            {
                var tombstone = entry with { Rev = Ids.NewRev(), IsDeleted = true, ServerModified = now, DeviceId = caller.DeviceId };
                writes.Add(new MetadataWrite.PutEntry(tombstone, new EntryExpectation.HasRev(entry.Rev)));
            }

            // One journal entry for the top: a device deleting a folder removes what is below it.
            var top = ((MetadataWrite.PutEntry)writes[0]).Entry;
            writes.Add(new MetadataWrite.AppendChange(Changes.For(top with { IsDeleted = true }, ChangeKind.Deleted, now)));
            if (await ApplyAsync(writes, ct))
            {
                return FileMetadata.From(current);
            }
        }

        throw TooBusy(path);
    }

    public Task<FileMetadata> MoveAsync(Caller caller, string? from, string? to, CancellationToken ct) => RelocateAsync(caller, from, to, move: true, ct);

    public Task<FileMetadata> CopyAsync(Caller caller, string? from, string? to, CancellationToken ct) => RelocateAsync(caller, from, to, move: false, ct);

    private async Task<FileMetadata> RelocateAsync(Caller caller, string? rawFrom, string? rawTo, bool move, CancellationToken ct)
    {
        var from = DropPath.Parse(rawFrom, allowRoot: false);
        var to = DropPath.Parse(rawTo, allowRoot: false);
        var caseOnlyRename = move && from.Key == to.Key;
        if (from.Contains(to) && !caseOnlyRename)
        {
            throw Errors.Errors.BadRequest("cant_move_into_itself", $"\"{from.Display}\" cannot be moved or copied into itself.");
        }

        var ns = caller.RootNamespaceId;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = clock.GetUtcNow();
            var source = await meta.GetEntryAsync(ns, from.Key, ct);
            if (source is null || source.IsDeleted)
            {
                throw NotFound(from);
            }

            if (caseOnlyRename && source.Name == to.Name)
            {
                return FileMetadata.From(source);
            }

            var (writes, parentDisplay) = await ParentPlan.BuildAsync(meta, caller, ns, to, now, ct);
            var target = caseOnlyRename ? null : await meta.GetEntryAsync(ns, to.Key, ct);
            if (target is { IsDeleted: false })
            {
                throw Errors.Errors.Conflict("to_exists", $"\"{target.PathDisplay}\" already exists; move or delete it first.");
            }

            var newTop = DropPath.Parse(parentDisplay + "/" + to.Name, false);
            var subtree = source.Kind == EntryKind.Folder ? await meta.ListAsync(ns, source.PathKey, recursive: true, ct) : [];
            var sourcePath = DropPath.Parse(source.PathDisplay, false);
            FileEntry? movedTop = null;
            foreach (var entry in subtree.Prepend(source))
            {
                var newPath = DropPath.Parse(entry.PathDisplay, false).Rebase(sourcePath, newTop);
                var moved = entry with { PathDisplay = newPath.Display, Rev = Ids.NewRev(), ServerModified = now, DeviceId = caller.DeviceId };
                movedTop ??= moved;
                var keyUnchanged = newPath.Key == entry.PathKey;
                if (move && !keyUnchanged)
                {
                    writes.Add(new MetadataWrite.PutEntry(entry with { Rev = Ids.NewRev(), IsDeleted = true, ServerModified = now, DeviceId = caller.DeviceId }, new EntryExpectation.HasRev(entry.Rev)));
                }

                var existingAtTarget = keyUnchanged ? entry : await meta.GetEntryAsync(ns, newPath.Key, ct);
                writes.Add(new MetadataWrite.PutEntry(moved, EntryExpectation.Matching(existingAtTarget)));
                if (entry.Kind == EntryKind.File)
                {
                    var revision = await meta.GetRevisionAsync(ns, entry.Rev, ct)
                        ?? throw new InvalidOperationException($"Revision {entry.Rev} of {entry.PathDisplay} is missing.");
                    writes.Add(new MetadataWrite.AddRevision(revision with { Rev = moved.Rev, PathDisplay = moved.PathDisplay, ServerModified = now, DeviceId = caller.DeviceId }));
                }
            }

            writes.Add(new MetadataWrite.AppendChange(Changes.For(movedTop!, move ? ChangeKind.Moved : ChangeKind.Copied, now, fromPath: source.PathDisplay)));
            if (await ApplyAsync(writes, ct))
            {
                return FileMetadata.From(movedTop!);
            }
        }

        throw TooBusy(from);
    }

    private async Task RequireFolderAsync(Caller caller, DropPath path, CancellationToken ct)
    {
        if (path.IsRoot)
        {
            return;
        }

        var entry = await meta.GetEntryAsync(caller.RootNamespaceId, path.Key, ct);
        if (entry is null || entry.IsDeleted)
        {
            throw NotFound(path);
        }

        if (entry.Kind != EntryKind.Folder)
        {
            throw Errors.Errors.Conflict("not_folder", $"\"{entry.PathDisplay}\" is a file, not a folder.");
        }
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

    private static DropSyncException NotFound(DropPath path) =>
        Errors.Errors.NotFound("not_found", $"Nothing is at \"{path}\".");

    private static DropSyncException TooBusy(DropPath path) =>
        new(ErrorKind.Unavailable, "too_many_writes", $"\"{path}\" is changing too fast; try again in a moment.");
}
