using DropSync.Client.Chunking;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Client.Tests.RandomizedSync;

/// <summary>
/// Two or three devices of one account, each with its own folder and engine, driven by one seeded random source
/// through file and folder changes and syncs. It keeps the log of what it did (printed on failure) and the contents
/// that must survive: every content a device held when it synced, unless a device deleted it. A member (another
/// account) may share the owner's folder <see cref="SharedFolder"/> as an editor and change things only inside it.
/// </summary>
internal sealed class SyncWorld(IReadOnlyList<Device> devices, Device? member, Random random) : IDisposable
{
    /// <summary>The folder the owner shares with the member: mounted at the same path in the member's tree.</summary>
    public const string SharedFolder = "S";

    private static readonly string[] FileNames = ["a.txt", "b.txt", "c.md", "d.bin", "e.txt"];
    private static readonly string[] FolderNames = ["D", "E", "F", "G"];

    private readonly DateTime _epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private int _contents, _ticks;

    /// <summary>The owner's devices, then the member's if there is one.</summary>
    public IReadOnlyList<Device> Devices { get; } = member is null ? devices : [.. devices, member];

    public IReadOnlyList<Device> OwnerDevices { get; } = devices;

    public Device? Member { get; } = member;

    /// <summary>What happened, in order: the operations and each sync's counts.</summary>
    public List<string> Log { get; } = [];

    /// <summary>Content hashes some device held when it synced (the sync saw them), with a readable name.</summary>
    public Dictionary<string, string> Held { get; } = new(StringComparer.Ordinal);

    /// <summary>Content hashes a user deleted (a file or a folder around it): the server owes nothing for these.</summary>
    public HashSet<string> Deleted { get; } = new(StringComparer.Ordinal);

    /// <summary>Every path (leading '/') a file ever had on a device when it synced: where revisions may be found.</summary>
    public HashSet<string> PathsSeen { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _piecesOf = new(StringComparer.Ordinal);

    /// <summary>One random step: a change on a random device, or a sync of one.</summary>
    public async Task StepAsync()
    {
        var device = Devices[random.Next(Devices.Count)];
        switch (random.Next(20))
        {
            case < 5: CreateFile(device); break;
            case < 6: EditFile(device, sameSize: true); break;
            case < 8: EditFile(device, sameSize: false); break;
            case 8: DeleteFile(device); break;
            case 9: RenameFile(device); break;
            case 10: CreateFolder(device); break;
            case 11: MoveFolder(device); break;
            case 12: DeleteFolder(device); break;
            case 13: EditOnTwoDevices(); break;
            default: await SyncToFixedPointAsync(device); break;
        }
    }

    /// <summary>
    /// Syncs a device, then again with nothing changed in between: the second pass may finish what the first left
    /// (a conflict answered, a download after it), but a third must find nothing to do.
    /// </summary>
    public async Task<SyncReport> SyncToFixedPointAsync(Device device)
    {
        var first = await SyncAsync(device);
        if (IsQuiet(first))
        {
            return first;
        }

        var second = await SyncAsync(device);
        if (!IsQuiet(second))
        {
            var third = await SyncAsync(device);
            if (!IsQuiet(third))
            {
                throw new SyncCheckException($"{device.Name} has no fixed point: its third sync in a row still did something ({Describe(third)}).");
            }
        }

        return first;
    }

    public async Task<SyncReport> SyncAsync(Device device)
    {
        var before = DeviceTree.Of(device);
        foreach (var (rel, hash) in before.Files)
        {
            Held.TryAdd(hash, NameOf(hash));
            PathsSeen.Add("/" + rel);
        }

        var report = await device.SyncAsync(force: true);
        Log.Add($"sync {device.Name}: {Describe(report)}");
        if (report.Errors.Count > 0)
        {
            throw new SyncCheckException($"{device.Name}'s sync failed: {string.Join("; ", report.Errors)}");
        }

        foreach (var (rel, _) in DeviceTree.Of(device).Files)
        {
            PathsSeen.Add("/" + rel);
        }

        return report;
    }

    public static bool IsQuiet(SyncReport r) =>
        r.FilesUploaded + r.FilesDownloaded + r.DeletedLocal + r.DeletedRemote + r.Moved + r.FoldersCreated + r.FoldersDeleted == 0
        && r.Conflicts.Count == 0 && r.Errors.Count == 0;

    public static string Describe(SyncReport r) =>
        $"up {r.FilesUploaded}, down {r.FilesDownloaded}, deleted here {r.DeletedLocal}, deleted on server {r.DeletedRemote}, moved {r.Moved}, " +
        $"folders +{r.FoldersCreated} -{r.FoldersDeleted}" +
        (r.Conflicts.Count > 0 ? $", conflicts [{string.Join("; ", r.Conflicts)}]" : "") +
        (r.Errors.Count > 0 ? $", errors [{string.Join("; ", r.Errors)}]" : "");

    /// <summary>"content #12" for a content this world wrote, else its hash's start.</summary>
    public string NameOf(string hash) => _names.GetValueOrDefault(hash) ?? hash[..12];

    private void CreateFile(Device device)
    {
        if (Parents(device) is not { Count: > 0 } parents)
        {
            return;
        }

        var rel = Join(Pick(parents), Pick(FileNames));
        if (Directory.Exists(device.PathOf(rel)))
        {
            return;
        }

        if (File.Exists(device.PathOf(rel)))
        {
            EditFile(device, rel, sameSize: false);
            return;
        }

        var name = Write(device, rel, NewContent(Size()));
        Log.Add($"{device.Name}: create {rel} ({name})");
    }

    private void EditFile(Device device, bool sameSize)
    {
        if (FilesOf(device) is { Count: > 0 } files)
        {
            EditFile(device, Pick(files), sameSize);
        }
    }

    private void EditFile(Device device, string rel, bool sameSize)
    {
        var size = sameSize ? (int)new FileInfo(device.PathOf(rel)).Length : Size();
        var name = Write(device, rel, NewContent(size));
        Log.Add($"{device.Name}: edit {rel} ({(sameSize ? "same size" : "new size")}, now {name})");
    }

    /// <summary>The same file edited on two devices before either syncs.</summary>
    private void EditOnTwoDevices()
    {
        if (Devices.Count < 2)
        {
            return;
        }

        var pair = Devices.OrderBy(_ => random.Next()).Take(2).ToList();
        var shared = FilesOf(pair[0]).Intersect(FilesOf(pair[1]), StringComparer.Ordinal).ToList();
        if (shared.Count == 0)
        {
            return;
        }

        var rel = Pick(shared);
        var sameSize = random.Next(2) == 0;
        Log.Add($"both {pair[0].Name} and {pair[1].Name} edit {rel}:");
        EditFile(pair[0], rel, sameSize);
        EditFile(pair[1], rel, sameSize);
    }

    private void DeleteFile(Device device)
    {
        if (FilesOf(device) is { Count: > 0 } files)
        {
            var rel = Pick(files);
            var hash = ContentHasher.Compute(File.ReadAllBytes(device.PathOf(rel)));
            Deleted.Add(hash);
            File.Delete(device.PathOf(rel));
            Log.Add($"{device.Name}: delete {rel} ({NameOf(hash)})");
        }
    }

    private void RenameFile(Device device)
    {
        if (FilesOf(device) is not { Count: > 0 } files)
        {
            return;
        }

        var from = Pick(files);
        var to = Join(Pick(Parents(device)), Pick(FileNames));
        if (Taken(device, to))
        {
            return;
        }

        File.Move(device.PathOf(from), device.PathOf(to));
        Log.Add($"{device.Name}: rename {from} -> {to}");
    }

    private void CreateFolder(Device device)
    {
        if (Parents(device).Where(f => Depth(f) < 3).ToList() is not { Count: > 0 } parents)
        {
            return;
        }

        var parent = Pick(parents);
        var rel = Join(parent, Pick(FolderNames));
        if (Taken(device, rel))
        {
            return;
        }

        Directory.CreateDirectory(device.PathOf(rel));
        Log.Add($"{device.Name}: create folder {rel}/");
    }

    /// <summary>A rename or a move of a folder with everything in it (never into itself).</summary>
    private void MoveFolder(Device device)
    {
        if (Movable(device) is not { Count: > 0 } folders)
        {
            return;
        }

        var from = Pick(folders);
        var parents = Parents(device)
            .Where(f => f != from && !f.StartsWith(from + "/", StringComparison.Ordinal) && Depth(f) < 3)
            .ToList();
        if (parents.Count == 0)
        {
            return;
        }

        var to = Join(Pick(parents), Pick(FolderNames));
        if (Taken(device, to))
        {
            return;
        }

        Directory.Move(device.PathOf(from), device.PathOf(to));
        Log.Add($"{device.Name}: move folder {from}/ -> {to}/");
    }

    private void DeleteFolder(Device device)
    {
        if (Movable(device) is not { Count: > 0 } folders)
        {
            return;
        }

        var rel = Pick(folders);
        var inside = Directory.EnumerateFiles(device.PathOf(rel), "*", SearchOption.AllDirectories)
            .Select(f => ContentHasher.Compute(File.ReadAllBytes(f)))
            .ToList();
        Deleted.UnionWith(inside);
        Directory.Delete(device.PathOf(rel), recursive: true);
        Log.Add($"{device.Name}: delete folder {rel}/ ({(inside.Count == 0 ? "empty" : string.Join(", ", inside.Select(NameOf)))})");
    }

    /// <summary>The Dropbox content hash of the bytes a server's content hash (of either kind) stands for.</summary>
    public string AsPiecesHash(string hash) => _piecesOf.GetValueOrDefault(hash, hash);

    /// <summary>Bytes no other write produced: a numbered header, then seeded filler up to the size.</summary>
    private byte[] NewContent(int size)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"content #{++_contents:D5}\n");
        var bytes = new byte[Math.Max(size, header.Length)];
        random.NextBytes(bytes);
        header.CopyTo(bytes, 0);
        var pieces = ContentHasher.Compute(bytes);
        _names[pieces] = $"content #{_contents}";
        // A file big enough for a resumable upload gets the block-list hash on the server: the checks map it back.
        _piecesOf[ContentHash.OfBlockList([.. FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size))]).ToString()] = pieces;
        return bytes;
    }

    /// <summary>Mostly small files; now and then one over the small-file limit, so blocks are exercised too.</summary>
    private int Size() => random.Next(50) == 0 ? 1024 * 1024 + random.Next(100_000) : random.Next(14, 3000);

    private string Write(Device device, string rel, byte[] bytes)
    {
        var path = device.PathOf(rel);
        File.WriteAllBytes(path, bytes);
        // A new modification time for every write, so a same-size edit is never mistaken for an unchanged file.
        File.SetLastWriteTimeUtc(path, _epoch.AddMinutes(++_ticks));
        return NameOf(ContentHasher.Compute(bytes));
    }

    /// <summary>The files a user of this device may change: the member's only inside the shared folder.</summary>
    private List<string> FilesOf(Device device) => [.. DeviceTree.Of(device).Files.Keys.Where(f => device != Member || InShared(f))];

    /// <summary>Where a user of this device may put things: anywhere for the owner, inside the shared folder for the member.</summary>
    private List<string> Parents(Device device) =>
        device == Member
            ? [.. DeviceTree.Of(device).Folders.Where(f => f == SharedFolder || InShared(f))]
            : [.. new[] { "" }.Concat(DeviceTree.Of(device).Folders)];

    /// <summary>Folders a user of this device may move or delete: never the shared folder itself.</summary>
    private List<string> Movable(Device device) => [.. Parents(device).Where(f => f.Length > 0 && f != SharedFolder)];

    private static bool InShared(string rel) => rel.StartsWith(SharedFolder + "/", StringComparison.Ordinal);

    private static bool Taken(Device device, string rel) => File.Exists(device.PathOf(rel)) || Directory.Exists(device.PathOf(rel));

    private static int Depth(string rel) => rel.Length == 0 ? 0 : rel.Count(c => c == '/') + 1;

    private static string Join(string folder, string name) => folder.Length == 0 ? name : folder + "/" + name;

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public void Dispose()
    {
        foreach (var device in Devices)
        {
            device.Dispose();
        }
    }
}

/// <summary>A promise of the sync broken: the message says which and where.</summary>
internal sealed class SyncCheckException(string message) : Exception(message);
