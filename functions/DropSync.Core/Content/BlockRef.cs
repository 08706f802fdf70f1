namespace DropSync.Core.Content;

/// <summary>One block of a file, in file order: its name and its length in bytes.</summary>
public sealed record BlockRef(BlockHash Hash, int Size);
