using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>The statements a write batch runs, prepared once on the writer connection (<see cref="BatchCommands"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>
    /// The statements of a batch, prepared once and re-bound for each write (a revision may have 65,536 blocks). The
    /// writer keeps one set for its connection across transactions (<see cref="WriterBatch"/>), so SQLite parses each
    /// statement once, not on every commit. They run on the writer's own thread, so they call SQLite synchronously
    /// and return completed tasks: Microsoft.Data.Sqlite's async methods run synchronously too, and add a
    /// cancellation registration and a task per statement (about a tenth of the writer thread's managed time).
    /// </summary>
    private sealed class BatchCommands(SqliteTransaction transaction) : IDisposable
    {
        private readonly List<SqliteCommand> _prepared = [];
        private SqliteTransaction _transaction = transaction;
        private SqliteCommand? _putInlineBlock;
        private SqliteCommand? _recordBlock;
        private SqliteCommand? _readEntry;
        private SqliteCommand? _upsertEntry;
        private SqliteCommand? _insertRevision;
        private SqliteCommand? _insertRevisionBlock;
        private SqliteCommand? _nextSequence;
        private SqliteCommand? _appendChange;

        /// <summary>Whether the entry, as it is now in this transaction (earlier writes of the batch included), meets the expectation.</summary>
        public Task<bool> MeetsAsync(string namespaceId, string pathKey, EntryExpectation expected, CancellationToken ct) =>
            Task.FromResult(Meets(namespaceId, pathKey, expected));

        private bool Meets(string namespaceId, string pathKey, EntryExpectation expected)
        {
            var command = Get(ref _readEntry, "SELECT rev, kind, is_deleted FROM entries WHERE ns = $ns AND path_key = $key;", "$ns", "$key");
            using var reader = command.Bind(namespaceId, pathKey).ExecuteReader();
            var exists = reader.Read();
            var rev = exists ? reader.GetString(0) : null;
            var isLiveFolder = exists && reader.GetEnum<EntryKind>(1) == EntryKind.Folder && reader.GetInt64(2) == 0;
            var isDeleted = exists && reader.GetInt64(2) != 0;
            return expected switch
            {
                EntryExpectation.Absent => !exists || isDeleted,
                EntryExpectation.HasRev has => exists && rev == has.Rev,
                EntryExpectation.LiveFolder => isLiveFolder,
                _ => throw new ArgumentException($"Unknown expectation {expected?.GetType().Name ?? "null"}.", nameof(expected)),
            };
        }

        public Task UpsertEntryAsync(FileEntry entry, CancellationToken ct)
        {
            var command = Get(
                ref _upsertEntry,
                """
                INSERT INTO entries (ns, path_key, parent_key, path_display, kind, rev, size, content_hash, server_modified, device_id, is_deleted, retention_due)
                VALUES ($ns, $key, $parent, $display, $kind, $rev, $size, $hash, $modified, $device, $deleted,
                    CASE WHEN $kind = 'Folder' AND $deleted = 0 THEN NULL ELSE $modified END)
                ON CONFLICT (ns, path_key) DO UPDATE SET
                    path_display = excluded.path_display, kind = excluded.kind, rev = excluded.rev, size = excluded.size,
                    content_hash = excluded.content_hash, server_modified = excluded.server_modified,
                    device_id = excluded.device_id, is_deleted = excluded.is_deleted,
                    retention_due = CASE WHEN excluded.kind = 'Folder' AND excluded.is_deleted = 0 THEN entries.retention_due ELSE excluded.server_modified END;
                """,
                "$ns", "$key", "$parent", "$display", "$kind", "$rev", "$size", "$hash", "$modified", "$device", "$deleted");
            var key = entry.PathKey;
            command.Bind(
                entry.NamespaceId, key, ParentKeyOf(key), entry.PathDisplay, entry.Kind.ToString(), entry.Rev, entry.Size, entry.ContentHash,
                entry.ServerModified.ToUnixMs(), entry.DeviceId, DeletedState(entry)).ExecuteNonQuery();
            return Task.CompletedTask;
        }

        public Task InsertRevisionAsync(FileRevision revision, CancellationToken ct)
        {
            var head = Get(
                ref _insertRevision,
                """
                INSERT INTO revisions (ns, rev, path_key, path_display, size, content_hash, server_modified, device_id)
                VALUES ($ns, $rev, $key, $display, $size, $hash, $modified, $device);
                """,
                "$ns", "$rev", "$key", "$display", "$size", "$hash", "$modified", "$device");
            head.Bind(
                revision.NamespaceId, revision.Rev, revision.PathKey, revision.PathDisplay, revision.Size, revision.ContentHash,
                revision.ServerModified.ToUnixMs(), revision.DeviceId).ExecuteNonQuery();

            var block = Get(
                ref _insertRevisionBlock,
                "INSERT INTO revision_blocks (ns, rev, idx, hash, size) VALUES ($ns, $rev, $idx, $hash, $size);",
                "$ns", "$rev", "$idx", "$hash", "$size");
            for (var i = 0; i < revision.Blocks.Count; i++)
            {
                var blockRef = revision.Blocks[i];
                block.Bind(revision.NamespaceId, revision.Rev, i, blockRef.Hash.ToBytes(), blockRef.Size).ExecuteNonQuery();
            }

            return Task.CompletedTask;
        }

        /// <summary>Appends the change with the namespace's next sequence number and answers it as stored.</summary>
        public Task<ChangeRecord> AppendChangeAsync(ChangeRecord change, CancellationToken ct)
        {
            // The namespace's counter, which survives compaction of the rows themselves.
            var next = Get(
                ref _nextSequence,
                """
                INSERT INTO journal_state (ns, latest_seq, compacted_through) VALUES ($ns, 1, 0)
                ON CONFLICT (ns) DO UPDATE SET latest_seq = latest_seq + 1
                RETURNING latest_seq;
                """,
                "$ns");
            var sequence = (long)next.Bind(change.NamespaceId).ExecuteScalar()!;

            var command = Get(
                ref _appendChange,
                """
                INSERT INTO journal (ns, seq, kind, path_display, from_path, rev, entry_kind, size, content_hash, device_id, time)
                VALUES ($ns, $seq, $kind, $display, $from, $rev, $entryKind, $size, $hash, $device, $time);
                """,
                "$ns", "$seq", "$kind", "$display", "$from", "$rev", "$entryKind", "$size", "$hash", "$device", "$time");
            command.Bind(
                change.NamespaceId, sequence, change.Kind.ToString(), change.PathDisplay, change.FromPath, change.Rev, change.EntryKind.ToString(),
                change.Size, change.ContentHash, change.DeviceId, change.Time.ToUnixMs()).ExecuteNonQuery();
            return Task.FromResult(change with { Sequence = sequence });
        }

        public void Dispose()
        {
            foreach (var command in _prepared)
            {
                command.Dispose();
            }
        }

        /// <summary>Points the statements at <paramref name="current"/>, the connection's transaction now.</summary>
        public BatchCommands For(SqliteTransaction current)
        {
            _transaction = current;
            return this;
        }

        /// <summary>Stores a sealed inline block unless one with its name is there (see <see cref="PutInlineBlockAsync"/>).</summary>
        public Task PutInlineBlockAsync(BlockHash hash, byte[] sealedBytes, DateTimeOffset writtenAt, CancellationToken ct)
        {
            var command = Get(
                ref _putInlineBlock,
                "INSERT INTO inline_blocks (hash, sealed, written_at) VALUES ($hash, $sealed, $at) ON CONFLICT (hash) DO NOTHING;",
                "$hash", "$sealed", "$at");
            command.Bind(hash.ToBytes(), sealedBytes, writtenAt.ToUnixMs()).ExecuteNonQuery();
            return Task.CompletedTask;
        }

        /// <summary>As <see cref="RecordBlockAsync"/>, with a statement kept prepared.</summary>
        public Task RecordBlockAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken ct)
        {
            var command = Get(ref _recordBlock, RecordBlockSql, "$hash", "$size", "$at", "$user");
            command.Bind(hash.ToBytes(), size, at.ToUnixMs(), userId).ExecuteNonQuery();
            return Task.CompletedTask;
        }

        private SqliteCommand Get(ref SqliteCommand? slot, string sql, params string[] parameterNames)
        {
            if (slot is null)
            {
                slot = _transaction.Prepare(sql, parameterNames);
                _prepared.Add(slot);
            }
            else
            {
                slot.Transaction = _transaction;
            }

            return slot;
        }
    }
}
