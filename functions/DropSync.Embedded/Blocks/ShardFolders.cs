using System.Collections.Concurrent;
using DropSync.Embedded.Storage;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// The block folders (<c>&lt;hex[0..2]&gt;</c>, see <see cref="BlockFileLayout"/>) this store has made durable since it
/// opened, so that a block's write asks the file system whether its folder exists only the first time (before: a
/// <c>stat</c> per block).
/// Forgetting is safe: a folder that was deleted behind the store's back makes the rename into it fail (ENOENT), and
/// <see cref="PendingBlockFile.Complete"/> then creates it durably again and retries once; a block is never reported
/// stored without its file renamed into a folder that exists.
/// </summary>
internal sealed class ShardFolders
{
    /// <summary>Past this many the set starts over: a bound (there are 256 block folders), not an expected size.</summary>
    private const int MaxKnown = 4_096;

    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);

    /// <summary>Creates <paramref name="folder"/> and its parents durably unless this store did so already.</summary>
    public void EnsureDurable(string folder)
    {
        if (_known.ContainsKey(folder))
        {
            return;
        }

        DirectoryFlush.CreateDurably(folder);
        if (_known.Count >= MaxKnown)
        {
            _known.Clear();
        }

        _known.TryAdd(folder, 0);
    }

    /// <summary>Drops <paramref name="folder"/> from the set (it was found missing): the next write checks and creates it again.</summary>
    public void Forget(string folder) => _known.TryRemove(folder, out _);
}
