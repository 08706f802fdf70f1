using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>
/// Makes sure the folders above a path exist: existing ones are checked in the batch (so a concurrent delete fails it),
/// missing ones are created in it. Existing folders keep their casing, so "/docs/a.txt" lands in "/Docs" if that exists.
/// When several files are planned to be applied together in order (a batch upload), <c>folders</c> remembers each folder
/// found or created by an earlier plan, so a later one only checks it (and fails, to be retried alone, if the earlier
/// plan did not apply after all).
/// </summary>
internal static class ParentPlan
{
    public static Task<(List<MetadataWrite> Writes, string ParentDisplay)> BuildAsync(
        IFileMetadataStore meta, Caller caller, string ns, DropPath path, DateTimeOffset now, CancellationToken ct) =>
        BuildAsync(meta, caller, ns, path, now, null, ct);

    public static Task<(List<MetadataWrite> Writes, string ParentDisplay)> BuildAsync(
        IFileMetadataStore meta, Caller caller, string ns, DropPath path, DateTimeOffset now, Dictionary<string, string>? folders, CancellationToken ct) =>
        BuildAsync(meta, caller, ns, path, now, folders, null, ct);

    /// <summary>As above; <paramref name="read"/>, when given, holds the ancestors' entries already read (a missing key: no entry).</summary>
    public static async Task<(List<MetadataWrite> Writes, string ParentDisplay)> BuildAsync(
        IFileMetadataStore meta, Caller caller, string ns, DropPath path, DateTimeOffset now, Dictionary<string, string>? folders,
        IReadOnlyDictionary<string, FileEntry>? read, CancellationToken ct)
    {
        var writes = new List<MetadataWrite>();
        var display = "";
        foreach (var ancestor in path.Ancestors())
        {
            var wanted = display + "/" + ancestor.Name;
            var known = ns + "\n" + ancestor.Key;
            if (folders is not null && folders.TryGetValue(known, out var knownDisplay))
            {
                writes.Add(new MetadataWrite.CheckEntry(ns, ancestor.Key, EntryExpectation.IsLiveFolder));
                display = knownDisplay;
                continue;
            }

            var existing = read is not null ? read.GetValueOrDefault(ancestor.Key) : await meta.GetEntryAsync(ns, ancestor.Key, ct);
            if (existing is { IsDeleted: false, Kind: EntryKind.File })
            {
                throw Errors.Errors.Conflict(Errors.ErrorCodes.PathConflict, $"\"{existing.PathDisplay}\" is a file, so \"{path.Display}\" cannot be created inside it.");
            }

            if (existing is { IsDeleted: false, Kind: EntryKind.Folder })
            {
                writes.Add(new MetadataWrite.CheckEntry(ns, ancestor.Key, EntryExpectation.IsLiveFolder));
                display = existing.PathDisplay;
                folders?.Add(known, display);
                continue;
            }

            var folder = new FileEntry
            {
                NamespaceId = ns,
                PathDisplay = wanted,
                Kind = EntryKind.Folder,
                Rev = Ids.NewRev(),
                ServerModified = now,
                DeviceId = caller.DeviceId,
            };
            writes.Add(new MetadataWrite.PutEntry(folder, EntryExpectation.Matching(existing)));
            writes.Add(new MetadataWrite.AppendChange(Changes.For(folder, ChangeKind.FolderCreated, now)));
            display = wanted;
            folders?.Add(known, display);
        }

        return (writes, display);
    }
}
