using System.Globalization;
using System.Text;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Api.Blocks;

/// <summary>
/// A run URL's block list as its query carries it: <c>&lt;hash&gt;.&lt;size&gt;</c> per block, comma-separated, in file
/// order. Bounded on parse (<see cref="Limits.MaxRunBlocks"/> blocks, <see cref="Limits.MaxRunBytes"/> bytes), before
/// any block is read.
/// </summary>
public static class BlockRunList
{
    public static string Format(IReadOnlyList<BlockRef> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var text = new StringBuilder(blocks.Count * 74);
        foreach (var block in blocks)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(block.Hash.Hex).Append('.').Append(block.Size.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>The blocks of <paramref name="text"/>; 400 when it is malformed, names a bad hash, or is over the bounds.</summary>
    public static IReadOnlyList<BlockRef> Parse(string? text)
    {
        var items = string.IsNullOrEmpty(text) ? [] : text.Split(',');
        if (items.Length == 0 || items.Length > Limits.MaxRunBlocks)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidRequest, $"A block run names 1 to {Limits.MaxRunBlocks} blocks; ask the API for its URL.");
        }

        var blocks = new BlockRef[items.Length];
        long total = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var dot = items[i].IndexOf('.', StringComparison.Ordinal);
            if (dot < 0
                || !int.TryParse(items[i].AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || size is < 1 or > Limits.MaxBlockSize)
            {
                throw Errors.BadRequest(ErrorCodes.InvalidRequest, $"Each block of a run is <hash>.<size>, a size from 1 to {Limits.MaxBlockSize}.");
            }

            blocks[i] = new BlockRef(BlockHash.Parse(items[i][..dot]), size);
            total += size;
        }

        return total <= Limits.MaxRunBytes
            ? blocks
            : throw Errors.BadRequest(ErrorCodes.InvalidRequest, $"A block run carries at most {Limits.MaxRunBytes} bytes.");
    }
}
