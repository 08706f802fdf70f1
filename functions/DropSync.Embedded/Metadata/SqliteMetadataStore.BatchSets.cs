using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Many file commits applied as sets (<see cref="TryApplyEachAsSets"/>): one read of every key the group checks, its
/// expectations checked in memory, one journal counter update per namespace, then each table's rows.
/// </summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Row statements kept prepared on the writer connection; used only on the writer's thread, inside a write.</summary>
    private BatchTables? _writerTables;

    /// <summary>
    /// Applies every batch, in order, as <see cref="ApplyEachInSavepointsAsync"/> would, when each is a file commit
    /// (entry writes on distinct keys, revisions and changes: <see cref="FirstFailedExpectationAsync"/>'s kind); null,
    /// having written nothing, for any other group. Every key the group checks or writes is read once; each batch's
    /// expectations are then checked in order against those rows as the earlier batches of the group left them (a
    /// folder that an earlier file created is seen by a later one), so a batch whose expectation fails is failed alone,
    /// at the same index, with nothing of it written, exactly as one by one. The passing batches' rows are then written
    /// per table in the order they were applied, and each change gets the next sequence number of its namespace in order,
    /// the namespace's counter being written once. Everything is in the caller's one transaction.
    /// </summary>
    private IReadOnlyList<BatchResult>? TryApplyEachAsSets(SqliteTransaction transaction, IReadOnlyList<IReadOnlyList<MetadataWrite>> batches)
    {
        var keysByNamespace = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var writes in batches)
        {
            if (!IsFileCommit(writes, keysByNamespace))
            {
                return null;
            }
        }

        var states = new Dictionary<(string Ns, string Key), EntryState>();
        foreach (var (ns, keys) in keysByNamespace)
        {
            ReadEntryStates(transaction, ns, keys, states);
        }

        var tables = _writerTables ??= new BatchTables();
        var rows = new BatchTables.Rows();
        var sequences = new Dictionary<string, long>(StringComparer.Ordinal);
        var results = new List<BatchResult>(batches.Count);
        foreach (var writes in batches)
        {
            var failedAt = FirstUnmet(writes, states);
            if (failedAt >= 0)
            {
                results.Add(BatchResult.Failed(failedAt));
                continue;
            }

            var changes = new List<ChangeRecord>(1);
            foreach (var write in writes)
            {
                switch (write)
                {
                    case MetadataWrite.PutEntry put:
                        states[(put.Entry.NamespaceId, put.Entry.PathKey)] = EntryState.Of(put.Entry);
                        rows.AddEntry(put.Entry);
                        break;
                    case MetadataWrite.AddRevision add:
                        rows.AddRevision(add.Revision);
                        break;
                    case MetadataWrite.AppendChange append:
                        var ns = append.Change.NamespaceId;
                        var sequence = (sequences.TryGetValue(ns, out var latest) ? latest : LatestSequence(transaction, ns)) + 1;
                        sequences[ns] = sequence;
                        var stored = append.Change with { Sequence = sequence };
                        rows.AddChange(stored);
                        changes.Add(stored);
                        break;
                }
            }

            results.Add(new BatchResult(true, -1, changes));
        }

        tables.Write(transaction, rows, sequences);
        return results;
    }

    /// <summary>Whether the batch holds only entry checks and puts on distinct keys, revisions and changes; adds its keys.</summary>
    private static bool IsFileCommit(IReadOnlyList<MetadataWrite> writes, Dictionary<string, HashSet<string>> keysByNamespace)
    {
        var paths = new HashSet<(string, string)>();
        foreach (var write in writes)
        {
            var path = CommitPath(write);
            if (path is not { } key)
            {
                continue;
            }

            if (key.Item1.Length == 0 || !paths.Add(key))
            {
                return false;
            }

            if (!keysByNamespace.TryGetValue(key.Item1, out var keys))
            {
                keysByNamespace[key.Item1] = keys = new HashSet<string>(StringComparer.Ordinal);
            }

            keys.Add(key.Item2);
        }

        return true;
    }

    /// <summary>The index of the batch's first expectation that the entries as they stand do not meet, or -1.</summary>
    private static int FirstUnmet(IReadOnlyList<MetadataWrite> writes, Dictionary<(string Ns, string Key), EntryState> states)
    {
        for (var i = 0; i < writes.Count; i++)
        {
            var holds = writes[i] switch
            {
                MetadataWrite.PutEntry put => states.GetValueOrDefault((put.Entry.NamespaceId, put.Entry.PathKey)).Meets(put.Expected),
                MetadataWrite.CheckEntry check => states.GetValueOrDefault((check.NamespaceId, check.PathKey)).Meets(check.Expected),
                _ => true,
            };
            if (!holds)
            {
                return i;
            }
        }

        return -1;
    }

    private static void ReadEntryStates(SqliteTransaction transaction, string ns, HashSet<string> keys, Dictionary<(string Ns, string Key), EntryState> states)
    {
        foreach (var chunk in keys.Chunk(KeysPerQuery))
        {
            using var command = InQuery(transaction, "SELECT path_key, rev, kind, is_deleted FROM entries WHERE ns = $ns AND path_key", ns, chunk);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                states[(ns, reader.GetString(0))] = new EntryState(true, reader.GetString(1), reader.GetEnum<EntryKind>(2), reader.GetInt64(3) != 0);
            }
        }
    }

    /// <summary>The namespace's latest sequence number (0 before its first change): its counter survives compaction of the journal.</summary>
    private static long LatestSequence(SqliteTransaction transaction, string ns)
    {
        using var command = transaction.Command("SELECT latest_seq FROM journal_state WHERE ns = $ns;", ("$ns", ns));
        return command.ExecuteScalar() is long latest ? latest : 0;
    }

    /// <summary>An entry's state as expectations see it; default: no entry.</summary>
    private readonly record struct EntryState(bool Exists, string? Rev, EntryKind Kind, bool IsDeleted)
    {
        public static EntryState Of(FileEntry entry) => new(true, entry.Rev, entry.Kind, entry.IsDeleted);

        /// <summary>As <see cref="BatchCommands.MeetsAsync"/> answers for the row.</summary>
        public bool Meets(EntryExpectation expected) => expected switch
        {
            EntryExpectation.Absent => !Exists || IsDeleted,
            EntryExpectation.HasRev has => Exists && Rev == has.Rev,
            EntryExpectation.LiveFolder => Exists && Kind == EntryKind.Folder && !IsDeleted,
            _ => throw new ArgumentException($"Unknown expectation {expected?.GetType().Name ?? "null"}.", nameof(expected)),
        };
    }
}
