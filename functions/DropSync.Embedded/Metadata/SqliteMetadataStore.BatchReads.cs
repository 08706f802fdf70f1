using System.Globalization;
using DropSync.Core.Content;
using DropSync.Core.Model;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Point reads of many keys at once (a folder move reads every entry's target and revision): one query per chunk of keys,
/// all in one read transaction, so the answer is one snapshot.
/// </summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Keys bound per <c>IN (...)</c>: far below SQLite's bound-parameter limit, and a statement quick to prepare.</summary>
    private const int KeysPerQuery = 500;

    /// <summary>Entries by key, before its <c>IN (...)</c>; path_key last, so ReadEntry's ordinals hold.</summary>
    private const string EntriesByKeySql = $"SELECT {EntryColumns}, path_key FROM entries WHERE ns = $ns AND path_key";

    public Task<IReadOnlyDictionary<string, FileEntry>> GetEntriesAsync(string namespaceId, IReadOnlyCollection<string> pathKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathKeys);
        var keys = pathKeys.Distinct(StringComparer.Ordinal).ToArray();
        if (keys.Length == 0)
        {
            return Task.FromResult<IReadOnlyDictionary<string, FileEntry>>(new Dictionary<string, FileEntry>(StringComparer.Ordinal));
        }

        if (keys.Length <= KeysPerQuery)
        {
            // One query (a commit's plan reads its path and its folders): one statement, one snapshot, no transaction.
            return ReadStatementAsync<IReadOnlyDictionary<string, FileEntry>>(
                async (connection, ct) =>
                {
                    var entries = new Dictionary<string, FileEntry>(keys.Length, StringComparer.Ordinal);
                    using var command = InQuery(connection, null, EntriesByKeySql, namespaceId, keys);
                    await ReadEntriesAsync(command, entries, ct);
                    return entries;
                },
                cancellationToken);
        }

        return ReadAsync<IReadOnlyDictionary<string, FileEntry>>(
            async (transaction, ct) =>
            {
                var entries = new Dictionary<string, FileEntry>(keys.Length, StringComparer.Ordinal);
                foreach (var chunk in keys.Chunk(KeysPerQuery))
                {
                    using var command = InQuery(transaction, EntriesByKeySql, namespaceId, chunk);
                    await ReadEntriesAsync(command, entries, ct);
                }

                return entries;
            },
            cancellationToken);
    }

    private static async Task ReadEntriesAsync(SqliteCommand command, Dictionary<string, FileEntry> entries, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            entries[reader.GetString(9)] = ReadEntry(reader);
        }
    }

    public Task<IReadOnlyDictionary<string, FileRevision>> GetRevisionsAsync(string namespaceId, IReadOnlyCollection<string> revs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revs);
        return ReadAsync<IReadOnlyDictionary<string, FileRevision>>(
            async (transaction, ct) =>
            {
                var revisions = new Dictionary<string, FileRevision>(revs.Count, StringComparer.Ordinal);
                foreach (var chunk in revs.Distinct(StringComparer.Ordinal).Chunk(KeysPerQuery))
                {
                    using var heads = InQuery(transaction, $"SELECT {RevisionColumns} FROM revisions WHERE ns = $ns AND rev", namespaceId, chunk);
                    var blocks = new Dictionary<string, List<BlockRef>>(chunk.Length, StringComparer.Ordinal);
                    foreach (var head in await heads.ReadAllAsync(ReadRevisionHead, ct))
                    {
                        revisions[head.Rev] = head;
                        blocks[head.Rev] = [];
                    }

                    using var blockRows = InQuery(transaction, "SELECT hash, size, rev FROM revision_blocks WHERE ns = $ns AND rev", namespaceId, chunk, " ORDER BY rev, idx");
                    await using (var reader = await blockRows.ExecuteReaderAsync(ct))
                    {
                        while (await reader.ReadAsync(ct))
                        {
                            if (blocks.TryGetValue(reader.GetString(2), out var list))
                            {
                                list.Add(ReadBlockRef(reader));
                            }
                        }
                    }

                    foreach (var (rev, list) in blocks)
                    {
                        revisions[rev] = revisions[rev] with { Blocks = list };
                    }
                }

                return revisions;
            },
            cancellationToken);
    }

    /// <summary><paramref name="sqlBeforeIn"/> followed by <c>IN ($k0, $k1, …)</c> over <paramref name="keys"/>, then <paramref name="sqlAfter"/>.</summary>
    private static SqliteCommand InQuery(SqliteTransaction transaction, string sqlBeforeIn, string namespaceId, string[] keys, string sqlAfter = "") =>
        InQuery(transaction.Connection as KeptReaderConnection, transaction, sqlBeforeIn, namespaceId, keys, sqlAfter);

    /// <summary>As above on <paramref name="reader"/> (when the connection is a kept reader's), in <paramref name="transaction"/> or, if null, as a statement on its own.</summary>
    private static SqliteCommand InQuery(KeptReaderConnection? reader, SqliteTransaction? transaction, string sqlBeforeIn, string namespaceId, string[] keys, string sqlAfter = "")
    {
        var names = Enumerable.Range(0, keys.Length).Select(i => "$k" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var sql = $"{sqlBeforeIn} IN ({string.Join(", ", names)}){sqlAfter};";
        var command = reader is not null ? reader.Command(transaction, sql, [("$ns", namespaceId)]) : transaction!.Command(sql, ("$ns", namespaceId));
        for (var i = 0; i < keys.Length; i++)
        {
            command.Parameters.AddWithValue(names[i], keys[i]);
        }

        return command;
    }
}
