using DropSync.Core.Ports;

namespace DropSync.Contracts;

/// <summary>
/// What <see cref="SharingStoreContract"/> tests: the sharing reads and links, with the metadata store whose batches
/// write shares and members. In an adapter where one object implements both, pass it twice.
/// </summary>
public sealed record SharingStoreSubjects(ISharingStore Sharing, IFileMetadataStore Files);
