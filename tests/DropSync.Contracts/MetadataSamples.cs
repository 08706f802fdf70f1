using System.Text;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Contracts;

/// <summary>Builders for the metadata contract suites. Times are whole milliseconds, the finest any adapter must keep.</summary>
public static class MetadataSamples
{
    /// <summary>rclone's hostile name, split into path components: punctuation, quotes, accents, CJK and a symbol.</summary>
    public static readonly string[] HostileComponents = ["hello? sausage", "êé", "Hello, 世界", " \" ' @ < > & ? + ≠", "z.txt"];

    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);

    public static DateTimeOffset At(int milliseconds) => T0.AddMilliseconds(milliseconds);

    public static string NewNamespace() => "ns_" + Guid.NewGuid().ToString("N");

    public static string NewRev() => Guid.CreateVersion7().ToString("N");

    public static BlockHash Hash(string seed) => BlockHash.Of(Encoding.UTF8.GetBytes(seed));

    public static BlockRef Block(string seed, int size = 1000) => new(Hash(seed), size);

    public static string KeyOf(string display) => Core.Paths.DropPath.KeyOf(display);

    /// <summary>
    /// An upload session of <paramref name="userId"/> declaring <paramref name="blocks"/>: what pins them against
    /// collection until it expires, and what a block reservation needs.
    /// </summary>
    public static UploadSession PinningSession(string userId, DateTimeOffset createdAt, DateTimeOffset expiresAt, params BlockRef[] blocks) => new()
    {
        UploadId = "up_" + Guid.NewGuid().ToString("N"),
        UserId = userId,
        DeviceId = "dev_test",
        NamespaceId = NewNamespace(),
        PathDisplay = "/upload.bin",
        Size = blocks.Sum(b => (long)b.Size),
        Blocks = blocks,
        Mode = WriteMode.Add,
        CreatedAt = createdAt,
        ExpiresAt = expiresAt,
    };

    public static FileEntry File(string ns, string display, string? rev = null, long size = 11, DateTimeOffset? at = null) => new()
    {
        NamespaceId = ns,
        PathDisplay = display,
        Kind = EntryKind.File,
        Rev = rev ?? NewRev(),
        Size = size,
        ContentHash = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(display.PadRight(32)[..32])),
        ServerModified = at ?? T0,
        DeviceId = "dev_test",
    };

    public static FileEntry Folder(string ns, string display, string? rev = null, DateTimeOffset? at = null) => new()
    {
        NamespaceId = ns,
        PathDisplay = display,
        Kind = EntryKind.Folder,
        Rev = rev ?? NewRev(),
        ServerModified = at ?? T0,
        DeviceId = "dev_test",
    };

    public static FileRevision Revision(FileEntry file, params BlockRef[] blocks) => new()
    {
        NamespaceId = file.NamespaceId,
        Rev = file.Rev,
        PathDisplay = file.PathDisplay,
        Size = blocks.Sum(b => (long)b.Size),
        ContentHash = file.ContentHash ?? new string('0', 64),
        ServerModified = file.ServerModified,
        DeviceId = file.DeviceId,
        Blocks = blocks,
    };

    public static ChangeRecord Change(FileEntry entry, ChangeKind kind, string? fromPath = null) => new()
    {
        NamespaceId = entry.NamespaceId,
        Kind = kind,
        PathDisplay = entry.PathDisplay,
        FromPath = fromPath,
        Rev = entry.Rev,
        EntryKind = entry.Kind,
        Size = entry.Size,
        ContentHash = entry.ContentHash,
        DeviceId = entry.DeviceId,
        Time = entry.ServerModified,
    };

    public static MetadataWrite.PutEntry Put(FileEntry entry, EntryExpectation? expected = null) => new(entry, expected ?? EntryExpectation.IsAbsent);

    public static MetadataWrite.AppendChange Append(FileEntry entry, ChangeKind kind = ChangeKind.Added) => new(Change(entry, kind));

    /// <summary>The writes that create a new file: head, revision, journal entry.</summary>
    public static MetadataWrite[] CreateFile(FileEntry file, params BlockRef[] blocks) =>
        [Put(file), new MetadataWrite.AddRevision(Revision(file, blocks)), Append(file)];

    /// <summary>
    /// Every journal entry of a namespace, journal by journal (<see cref="IFileMetadataStore.GetJournalsAsync"/>: one
    /// journal, the namespace's own, unless the store shards the namespace).
    /// </summary>
    public static async Task<List<ChangeRecord>> ReadAllChangesAsync(this IFileMetadataStore store, string ns)
    {
        var changes = new List<ChangeRecord>();
        foreach (var journal in (await store.GetJournalsAsync(ns, CancellationToken.None)).SelectMany(j => j))
        {
            changes.AddRange(await store.ReadJournalAsync(journal, 0, 100_000, CancellationToken.None));
        }

        return changes;
    }

    /// <summary>The latest sequence of every journal of a namespace, summed: its latest sequence when it has one journal.</summary>
    public static async Task<long> LatestOfAllJournalsAsync(this IFileMetadataStore store, string ns)
    {
        var latest = 0L;
        foreach (var journal in (await store.GetJournalsAsync(ns, CancellationToken.None)).SelectMany(j => j))
        {
            latest += await store.GetLatestSequenceAsync(journal, CancellationToken.None);
        }

        return latest;
    }

    /// <summary>Each journal's entries are numbered 1, 2, 3 … in order, without gaps.</summary>
    public static void AssertConsecutivePerJournal(IEnumerable<ChangeRecord> changes)
    {
        foreach (var journal in changes.GroupBy(c => c.JournalId))
        {
            Xunit.Assert.Equal(Enumerable.Range(1, journal.Count()).Select(i => (long)i), journal.Select(c => c.Sequence).Order());
        }
    }

    /// <summary>Applies a batch that must apply (a setup step of a test).</summary>
    public static async Task<BatchResult> MustApplyAsync(this IFileMetadataStore store, params MetadataWrite[] writes)
    {
        var result = await store.ApplyAsync(writes, CancellationToken.None);
        Xunit.Assert.True(result.Applied, $"setup batch failed at write {result.FailedWriteIndex}");
        return result;
    }
}
