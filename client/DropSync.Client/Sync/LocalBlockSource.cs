using System.Collections.Concurrent;
using DropSync.Client.Chunking;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>Blocks that unchanged local files already hold (per the index), so a download need not fetch them.</summary>
internal sealed class LocalBlockSource(SyncPass p)
{
    private readonly Lock _blocksLock = new();
    private readonly ConcurrentDictionary<string, Dictionary<string, UInt128>?> _digestsByKey = new(StringComparer.Ordinal);
    private Dictionary<string, (string Key, string Rel, long Offset, int Size)>? _localBlocks;
    private long? _seed;

    /// <summary>Whether some unchanged local file has the block, per the index (not read: <see cref="TryRead"/> verifies).</summary>
    public bool Has(string hash) => Blocks().ContainsKey(hash);

    /// <summary>
    /// A block some unchanged local file already has (per the index), read and verified; <paramref name="fast"/> is its
    /// XXH128 digest (<see cref="KnownBlocks"/>), which the download records for the file's next re-scan.
    /// </summary>
    /// <remarks>
    /// Verified by its XXH128 digest where the source file's known-blocks row names it (the row's pairs of name and
    /// digest are facts about bytes, made on this device; <see cref="KnownBlocks"/> weighs the risk, the same one its
    /// re-scans take), by SHA-256 otherwise. After a one-byte change in a 10 GiB file the other device reuses ~10 GiB
    /// of its old version: SHA-256 at ~1.5 GB/s was most of that download's CPU, XXH128 runs at ~10 GB/s.
    /// </remarks>
    public bool TryRead(string hash, Memory<byte> into, out UInt128 fast)
    {
        fast = default;
        if (!Blocks().TryGetValue(hash, out var source) || source.Size != into.Length)
        {
            return false;
        }

        try
        {
            using var handle = File.OpenHandle(p.Full(source.Rel), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (RandomAccess.Read(handle, into.Span, source.Offset) != into.Length)
            {
                return false;
            }
        }
        catch (IOException)
        {
            return false;
        }

        fast = KnownBlocks.Digest(into.Span, Seed());
        return DigestsOf(source.Key)?.TryGetValue(hash, out var known) == true
            ? fast == known
            : BlockHash.Of(into.Span).Hex == hash;
    }

    private long Seed()
    {
        lock (_blocksLock)
        {
            return _seed ??= p.Index.FastDigestSeed();
        }
    }

    private Dictionary<string, UInt128>? DigestsOf(string key) =>
        _digestsByKey.GetOrAdd(key, k => p.Index.GetKnownBlocks(k) is { } stored ? KnownBlocks.DigestsByName(stored) : null);

    private Dictionary<string, (string Key, string Rel, long Offset, int Size)> Blocks()
    {
        lock (_blocksLock)
        {
            if (_localBlocks is null)
            {
                _localBlocks = new Dictionary<string, (string, string, long, int)>(StringComparer.Ordinal);
                foreach (var e in p.Indexed.Values)
                {
                    if (e.IsDir || !p.Local.TryGetValue(e.Key, out var l) || SyncPlanner.LocalChanged(l, e))
                    {
                        continue;
                    }

                    long offset = 0;
                    foreach (var b in e.Blocks)
                    {
                        _localBlocks.TryAdd(b.Hash.Hex, (e.Key, l.Rel, offset, b.Size));
                        offset += b.Size;
                    }
                }
            }
        }

        return _localBlocks;
    }
}
