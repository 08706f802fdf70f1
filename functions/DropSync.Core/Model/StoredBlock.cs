using DropSync.Core.Content;

namespace DropSync.Core.Model;

/// <summary>A block known to the block index: its name, plaintext size and when it was first stored.</summary>
public sealed record StoredBlock(BlockHash Hash, int Size, DateTimeOffset StoredAt);
