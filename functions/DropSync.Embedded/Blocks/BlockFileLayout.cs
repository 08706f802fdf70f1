using DropSync.Core.Content;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// Where block files are: <c>&lt;folder&gt;/&lt;hex[0..2]&gt;/&lt;hex&gt;</c>, 256 folders that exist after a store's first few
/// hundred blocks. Stores written before round 15 used <c>&lt;hex[0..2]&gt;/&lt;hex[2..4]&gt;/&lt;hex&gt;</c>: 65,536 folders,
/// so until a store held a few hundred thousand blocks nearly every block created a folder (a second inode, a mkdir
/// and an fsync of its parent per block). Those files keep being found, read, listed and deleted where they are; new
/// blocks go to the one-level path. A block not found at its one-level path is always looked for at the two-level one
/// too (one more stat, only for a block that is not there): no marker or start-up check decides that a store has no
/// such files, since an earlier server run on the same folder after this one (a downgrade and back) may have added some.
/// </summary>
internal sealed class BlockFileLayout(string folder)
{
    /// <summary>Where a new block's file goes.</summary>
    public string PathOf(BlockHash hash)
    {
        var hex = hash.Hex;
        return Path.Combine(folder, hex[..2], hex);
    }

    /// <summary>Where the block's file was put before round 15.</summary>
    public string TwoLevelPathOf(BlockHash hash)
    {
        var hex = hash.Hex;
        return Path.Combine(folder, hex[..2], hex[2..4], hex);
    }

    /// <summary>The path of the block's file, or null when it is not stored as a file.</summary>
    public string? Find(BlockHash hash)
    {
        var path = PathOf(hash);
        if (File.Exists(path))
        {
            return path;
        }

        var twoLevel = TwoLevelPathOf(hash);
        return File.Exists(twoLevel) ? twoLevel : null;
    }

    /// <summary>The block files in one top-level folder (named <paramref name="first"/>), with their times; misnamed files are skipped.</summary>
    public IEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListIn(DirectoryInfo first)
    {
        foreach (var file in SafeEnumerate(() => first.EnumerateFiles()))
        {
            if (IsBlockFile(file.Name, first.Name, null, out var hash))
            {
                yield return (hash, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
            }
        }

        foreach (var second in SafeEnumerate(() => first.EnumerateDirectories()))
        {
            if (!IsHexByteName(second.Name))
            {
                continue;
            }

            foreach (var file in SafeEnumerate(() => second.EnumerateFiles()))
            {
                if (IsBlockFile(file.Name, first.Name, second.Name, out var hash))
                {
                    yield return (hash, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
                }
            }
        }
    }

    public static bool IsHexByteName(string name) => name.Length == 2 && char.IsAsciiHexDigitLower(name[0]) && char.IsAsciiHexDigitLower(name[1]);

    private static bool IsBlockFile(string name, string first, string? second, out BlockHash hash) =>
        BlockHash.TryParse(name, out hash)
        && hash.Hex == name
        && hash.Hex.AsSpan(0, 2).SequenceEqual(first)
        && (second is null || hash.Hex.AsSpan(2, 2).SequenceEqual(second));

    private static List<T> SafeEnumerate<T>(Func<IEnumerable<T>> source)
    {
        try
        {
            return source().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }
}
