using System.Collections;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>
/// A file's block list as the index stores it ("hash:size;..."), decoded on first use: a sync reads every index entry
/// but needs the blocks only of the files it transfers, so 10,000 unchanged files cost no hex parsing.
/// </summary>
internal sealed class EncodedBlocks(string text) : IReadOnlyList<BlockRef>
{
    private IReadOnlyList<BlockRef>? _decoded;

    /// <summary>The stored form, written back as it is.</summary>
    public string Text { get; } = text;

    private IReadOnlyList<BlockRef> Decoded => _decoded ??= LocalIndex.DecodeBlocks(Text);

    public BlockRef this[int index] => Decoded[index];

    public int Count => Decoded.Count;

    public IEnumerator<BlockRef> GetEnumerator() => Decoded.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
