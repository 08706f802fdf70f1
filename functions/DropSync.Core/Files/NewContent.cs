using DropSync.Core.Content;

namespace DropSync.Core.Files;

/// <summary>Content about to be committed: its blocks (already stored and verified), total size and content hash.</summary>
public sealed record NewContent(IReadOnlyList<BlockRef> Blocks, long Size, string ContentHash);
