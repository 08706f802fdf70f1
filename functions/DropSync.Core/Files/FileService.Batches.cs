using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>One file of a batch read: where it is, as the caller named it, and the rev asked for (null or empty: the current one).</summary>
public sealed record RevisionRequest(Location At, DropPath ShownAs, string? Rev);

public sealed partial class FileService
{
    /// <summary>
    /// The current revisions of many files at once, for a batch download: two batched reads per namespace (entries, then
    /// revisions) where <see cref="ReadRevisionAsync"/> makes two or three reads a file. Answers, per request, the
    /// revision when the file is a live file whose current revision is the one asked for (the current revision of a
    /// live file is always kept, so no history is read); null for anything else (gone, a folder, an older rev, a rev
    /// not found), which the caller resolves with <see cref="ReadRevisionAsync"/> to get exactly its answer or error.
    /// </summary>
    public async Task<(FileMetadata Metadata, FileRevision Revision)?[]> ReadCurrentRevisionsAsync(IReadOnlyList<RevisionRequest?> requests, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var answers = new (FileMetadata, FileRevision)?[requests.Count];
        foreach (var group in Enumerable.Range(0, requests.Count).Where(i => requests[i] is not null).GroupBy(i => requests[i]!.At.NamespaceId, StringComparer.Ordinal))
        {
            var ns = group.Key;
            var entries = await meta.GetEntriesAsync(ns, group.Select(i => requests[i]!.At.Inner.Key).Distinct(StringComparer.Ordinal).ToList(), ct);
            var current = new List<(int Index, FileEntry Entry)>();
            foreach (var i in group)
            {
                var request = requests[i]!;
                if (entries.TryGetValue(request.At.Inner.Key, out var entry)
                    && entry is { IsDeleted: false, Kind: EntryKind.File }
                    && (string.IsNullOrEmpty(request.Rev) || request.Rev == entry.Rev))
                {
                    current.Add((i, entry));
                }
            }

            var revisions = await meta.GetRevisionsAsync(ns, current.Select(c => c.Entry.Rev).Distinct(StringComparer.Ordinal).ToList(), ct);
            foreach (var (i, entry) in current)
            {
                if (revisions.TryGetValue(entry.Rev, out var revision) && revision.PathKey == entry.PathKey)
                {
                    var shownAs = requests[i]!.ShownAs;
                    answers[i] = (new FileMetadata("file", shownAs.Display, shownAs.Name, revision.Rev, revision.Size, revision.ContentHash, revision.ServerModified, revision.DeviceId), revision);
                }
            }
        }

        return answers;
    }
}
