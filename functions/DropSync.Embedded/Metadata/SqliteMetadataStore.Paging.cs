using DropSync.Core.Model;

namespace DropSync.Embedded.Metadata;

/// <summary>Keyset pages of a folder listing: the primary key (ns, path_key) or entries_by_parent, read from the key on.</summary>
public sealed partial class SqliteMetadataStore
{
    public Task<IReadOnlyList<FileEntry>> ListPageAsync(string namespaceId, string folderKey, bool recursive, string? afterKey, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<FileEntry>>(
            async (transaction, ct) =>
            {
                // SQLite compares TEXT bytewise (BINARY collation over UTF-8), the order every store pages in.
                var low = DescendantsLow(folderKey);
                var from = afterKey is not null && string.CompareOrdinal(afterKey, low) >= 0 ? afterKey : null;
                using var command = recursive
                    ? transaction.Command(
                        $"""
                        SELECT {EntryColumns} FROM entries
                        WHERE ns = $ns AND path_key > $low AND path_key < $high AND is_deleted = 0
                        ORDER BY path_key LIMIT $limit;
                        """,
                        ("$ns", namespaceId), ("$low", from ?? low), ("$high", DescendantsHigh(folderKey)), ("$limit", limit))
                    : transaction.Command(
                        $"""
                        SELECT {EntryColumns} FROM entries
                        WHERE ns = $ns AND parent_key = $parent AND path_key > $after AND is_deleted = 0
                        ORDER BY path_key LIMIT $limit;
                        """,
                        ("$ns", namespaceId), ("$parent", folderKey), ("$after", from ?? low), ("$limit", limit));
                return await command.ReadAllAsync(ReadEntry, ct);
            },
            cancellationToken);
    }
}
