using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Client.Tests.RandomizedSync;

/// <summary>What a device's folder holds: folders and files (relative, '/'-separated) with their content hashes.</summary>
internal sealed record DeviceTree(SortedSet<string> Folders, SortedDictionary<string, string> Files)
{
    public static DeviceTree Of(Device device)
    {
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(device.Folder, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(device.Folder, path).Replace('\\', '/');
            if (rel == LocalIndex.StateFolder || rel.StartsWith(LocalIndex.StateFolder + "/", StringComparison.Ordinal))
            {
                continue;
            }

            if (Directory.Exists(path))
            {
                folders.Add(rel);
            }
            else
            {
                files[rel] = ContentHasher.Compute(File.ReadAllBytes(path));
            }
        }

        return new DeviceTree(folders, files);
    }

    /// <summary>One line per entry ("D/" for a folder, "D/a.txt hash" for a file), for comparing and printing.</summary>
    public IReadOnlyList<string> Lines() =>
        [.. Folders.Select(f => f + "/").Concat(Files.Select(f => $"{f.Key} {f.Value}")).Order(StringComparer.Ordinal)];

    public override string ToString() => string.Join('\n', Lines());
}
