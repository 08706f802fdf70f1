namespace DropSync.Core.Content;

/// <summary>
/// Cuts a list of blocks into consecutive runs, each as many blocks as fit <see cref="Limits.MaxRunBlocks"/> and
/// <see cref="Limits.MaxRunBytes"/>: the one cut both the run GETs of a download and the run PUTs of an upload use.
/// </summary>
public static class BlockRuns
{
    /// <summary>The runs of <paramref name="blocks"/> in order: the index of each run's first block, its count and bytes.</summary>
    public static IEnumerable<(int First, int Count, long Bytes)> Cut(IReadOnlyList<BlockRef> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var i = 0;
        while (i < blocks.Count)
        {
            var first = i;
            long bytes = 0;
            while (i < blocks.Count && i - first < Limits.MaxRunBlocks && bytes + blocks[i].Size <= Limits.MaxRunBytes)
            {
                bytes += blocks[i].Size;
                i++;
            }

            yield return (first, i - first, bytes);
        }
    }
}
