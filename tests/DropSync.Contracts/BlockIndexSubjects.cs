using DropSync.Core.Ports;

namespace DropSync.Contracts;

/// <summary>
/// What <see cref="BlockIndexContract"/> tests: the block index, with the stores whose revisions and upload sessions
/// reference and pin its blocks. In an adapter where one object implements all three, pass it three times.
/// </summary>
public sealed record BlockIndexSubjects(IBlockIndex Index, IFileMetadataStore Files, IUploadSessionStore Sessions);
