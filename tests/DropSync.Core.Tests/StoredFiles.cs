using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

/// <summary>Files stored as blocks of given sizes, for the tests that read them back through <see cref="BlockContentStream"/>.</summary>
internal static class StoredFiles
{
    /// <summary>Random content of <c>sizes.Sum()</c> bytes (from <paramref name="seed"/>), stored as one block per size.</summary>
    public static (byte[] Content, List<BlockRef> Blocks) StoreFile(this InMemoryBlockStore store, int[] sizes, int seed)
    {
        var content = ReferenceContentHash.RandomBytes(sizes.Sum(), seed);
        var blocks = new List<BlockRef>();
        var offset = 0;
        foreach (var size in sizes)
        {
            var block = content[offset..(offset + size)];
            var hash = BlockHash.Of(block);
            store.PutAsync(hash, block, CancellationToken.None).GetAwaiter().GetResult();
            blocks.Add(new BlockRef(hash, size));
            offset += size;
        }

        return (content, blocks);
    }
}
