using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>Blocks that unchanged local files already hold (per the index), so a download need not fetch them.</summary>
internal sealed class LocalBlockSource(SyncPass p)
{
    private readonly Lock _blocksLock = new();
    private Dictionary<string, (string Rel, long Offset, int Size)>? _localBlocks;

    /// <summary>Whether some unchanged local file has the block, per the index (not read: <see cref="TryRead"/> verifies).</summary>
    public bool Has(string hash) => Blocks().ContainsKey(hash);

    /// <summary>A block some unchanged local file already has (per the index), read and verified.</summary>
    public bool TryRead(string hash, Memory<byte> into)
    {
        if (!Blocks().TryGetValue(hash, out var source) || source.Size != into.Length)
        {
            return false;
        }

        try
        {
            using var handle = File.OpenHandle(p.Full(source.Rel), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var read = RandomAccess.Read(handle, into.Span, source.Offset);
            return read == into.Length && BlockHash.Of(into.Span).Hex == hash;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private Dictionary<string, (string Rel, long Offset, int Size)> Blocks()
    {
        lock (_blocksLock)
        {
            if (_localBlocks is null)
            {
                _localBlocks = new Dictionary<string, (string, long, int)>(StringComparer.Ordinal);
                foreach (var e in p.Indexed.Values)
                {
                    if (e.IsDir || !p.Local.TryGetValue(e.Key, out var l) || SyncPlanner.LocalChanged(l, e))
                    {
                        continue;
                    }

                    long offset = 0;
                    foreach (var b in e.Blocks)
                    {
                        _localBlocks.TryAdd(b.Hash.Hex, (l.Rel, offset, b.Size));
                        offset += b.Size;
                    }
                }
            }
        }

        return _localBlocks;
    }
}
