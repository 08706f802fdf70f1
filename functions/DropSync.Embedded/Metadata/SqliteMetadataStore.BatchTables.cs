using DropSync.Core.Content;
using DropSync.Core.Model;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>The tables a group of file commits and its blocks write (<see cref="BatchTables"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>
    /// The writer's row statements for the tables a batch upload writes; the same columns and conflict clauses as the
    /// one-row statements of <see cref="BatchCommands"/> and <see cref="RecordBlockSql"/>, so the rows come out the same.
    /// </summary>
    private sealed class BatchTables : IDisposable
    {
        private readonly RowInsert _inlineBlocks = new("INSERT INTO inline_blocks (hash, sealed, written_at)", 3, "ON CONFLICT (hash) DO NOTHING");
        private readonly RowInsert _blocks = new(
            "INSERT INTO blocks (hash, size, stored_at)", 3, "ON CONFLICT (hash) DO UPDATE SET stored_at = MAX(stored_at, excluded.stored_at)");
        private readonly RowInsert _holders = new("INSERT INTO block_holders (user_id, hash)", 2, "ON CONFLICT DO NOTHING");

        // retention_due is bound as computed from the row (a live folder's is kept on update), as BatchCommands' CASE does.
        private readonly RowInsert _entries = new(
            "INSERT INTO entries (ns, path_key, parent_key, path_display, kind, rev, size, content_hash, server_modified, device_id, is_deleted, retention_due)",
            12,
            """
            ON CONFLICT (ns, path_key) DO UPDATE SET
                path_display = excluded.path_display, kind = excluded.kind, rev = excluded.rev, size = excluded.size,
                content_hash = excluded.content_hash, server_modified = excluded.server_modified,
                device_id = excluded.device_id, is_deleted = excluded.is_deleted,
                retention_due = CASE WHEN excluded.kind = 'Folder' AND excluded.is_deleted = 0 THEN entries.retention_due ELSE excluded.server_modified END
            """);

        private readonly RowInsert _revisions = new(
            "INSERT INTO revisions (ns, rev, path_key, path_display, size, content_hash, server_modified, device_id)", 8, "");

        private readonly RowInsert _revisionBlocks = new("INSERT INTO revision_blocks (ns, rev, idx, hash, size)", 5, "");

        private readonly RowInsert _journal = new(
            "INSERT INTO journal (ns, seq, kind, path_display, from_path, rev, entry_kind, size, content_hash, device_id, time)", 11, "");

        private readonly RowInsert _journalState = new(
            "INSERT INTO journal_state (ns, latest_seq, compacted_through)", 3, "ON CONFLICT (ns) DO UPDATE SET latest_seq = excluded.latest_seq");

        /// <summary>Stores each sealed inline block unless stored, and records it for its user (as <see cref="RecordBlockSql"/>).</summary>
        public void PutBlocks(SqliteTransaction transaction, IReadOnlyList<(BlockHash Hash, byte[] Sealed, (string UserId, int Size, DateTimeOffset At) Record)> blocks)
        {
            var inline = new List<object?[]>(blocks.Count);
            var records = new List<object?[]>(blocks.Count);
            var holders = new List<object?[]>(blocks.Count);
            foreach (var (hash, sealedBytes, record) in blocks)
            {
                var name = hash.ToBytes();
                var at = record.At.ToUnixMs();
                inline.Add([name, sealedBytes, at]);
                records.Add([name, record.Size, at]);
                holders.Add([record.UserId, name]);
            }

            _inlineBlocks.Insert(transaction, inline);
            _blocks.Insert(transaction, records);
            _holders.Insert(transaction, holders);
        }

        /// <summary>Writes the rows (revisions before their blocks, which refer to them) and each namespace's latest sequence number.</summary>
        public void Write(SqliteTransaction transaction, Rows rows, IReadOnlyDictionary<string, long> latestSequences)
        {
            _entries.Insert(transaction, rows.Entries);
            _revisions.Insert(transaction, rows.Revisions);
            _revisionBlocks.Insert(transaction, rows.RevisionBlocks);
            _journal.Insert(transaction, rows.Journal);
            _journalState.Insert(transaction, latestSequences.Select(state => new object?[] { state.Key, state.Value, 0L }).ToList());
        }

        public void Dispose()
        {
            foreach (var insert in new[] { _inlineBlocks, _blocks, _holders, _entries, _revisions, _revisionBlocks, _journal, _journalState })
            {
                insert.Dispose();
            }
        }

        /// <summary>The rows of a group of commits, in the order they were applied.</summary>
        public sealed class Rows
        {
            public List<object?[]> Entries { get; } = [];

            public List<object?[]> Revisions { get; } = [];

            public List<object?[]> RevisionBlocks { get; } = [];

            public List<object?[]> Journal { get; } = [];

            public void AddEntry(FileEntry entry)
            {
                var key = entry.PathKey;
                var modified = entry.ServerModified.ToUnixMs();
                var retentionDue = entry.Kind == EntryKind.Folder && !entry.IsDeleted ? (long?)null : modified;
                Entries.Add(
                [
                    entry.NamespaceId, key, ParentKeyOf(key), entry.PathDisplay, entry.Kind.ToString(), entry.Rev, entry.Size, entry.ContentHash,
                    modified, entry.DeviceId, DeletedState(entry), retentionDue,
                ]);
            }

            public void AddRevision(FileRevision revision)
            {
                Revisions.Add(
                [
                    revision.NamespaceId, revision.Rev, revision.PathKey, revision.PathDisplay, revision.Size, revision.ContentHash,
                    revision.ServerModified.ToUnixMs(), revision.DeviceId,
                ]);
                for (var i = 0; i < revision.Blocks.Count; i++)
                {
                    var block = revision.Blocks[i];
                    RevisionBlocks.Add([revision.NamespaceId, revision.Rev, i, block.Hash.ToBytes(), block.Size]);
                }
            }

            public void AddChange(ChangeRecord change) =>
                Journal.Add(
                [
                    change.NamespaceId, change.Sequence, change.Kind.ToString(), change.PathDisplay, change.FromPath, change.Rev, change.EntryKind.ToString(),
                    change.Size, change.ContentHash, change.DeviceId, change.Time.ToUnixMs(),
                ]);
        }
    }
}
