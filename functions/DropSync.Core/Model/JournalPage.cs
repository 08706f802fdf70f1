namespace DropSync.Core.Model;

/// <summary>What a feed page read from one journal: its changes in order, and the position the page leaves it at.</summary>
public sealed record JournalRead(string Journal, IReadOnlyList<ChangeRecord> Changes, long Position);

/// <summary>
/// A page of one namespace's journals (<see cref="Ports.IFileMetadataStore.ReadJournalPageAsync"/>): the journals read, in
/// the order their changes are to be delivered; <see cref="HasMore"/> when a journal has changes past the page;
/// <see cref="Reset"/> when a position is behind a journal's compaction point (the cursor cannot be continued).
/// </summary>
public sealed record JournalPage(IReadOnlyList<JournalRead> Journals, bool HasMore, bool Reset);
