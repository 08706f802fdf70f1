using System.Globalization;
using DropSync.Core.Paths;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// The metadata database's schema, versioned by <c>PRAGMA user_version</c>. Times are unix milliseconds, block hashes
/// their 32 raw bytes, enums their member names. Path keys compare as UTF-8 bytes (BINARY collation), which is what
/// the range queries on path_key rely on.
/// </summary>
internal static class MetadataSchema
{
    // Step i takes the schema from version i to i + 1. Never edit a released step; append a new one.
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE accounts (
            user_id       TEXT NOT NULL PRIMARY KEY,
            email         TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            root_ns       TEXT NOT NULL,
            created_at    INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE devices (
            device_id  TEXT NOT NULL PRIMARY KEY,
            user_id    TEXT NOT NULL REFERENCES accounts (user_id),
            name       TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        ) STRICT;
        CREATE INDEX devices_by_user ON devices (user_id, created_at);

        CREATE TABLE entries (
            ns              TEXT NOT NULL,
            path_key        TEXT NOT NULL,
            parent_key      TEXT NOT NULL,
            path_display    TEXT NOT NULL,
            kind            TEXT NOT NULL,
            rev             TEXT NOT NULL,
            size            INTEGER NOT NULL,
            content_hash    TEXT,
            server_modified INTEGER NOT NULL,
            device_id       TEXT NOT NULL,
            is_deleted      INTEGER NOT NULL,
            PRIMARY KEY (ns, path_key)
        ) STRICT;
        CREATE INDEX entries_by_parent ON entries (ns, parent_key, path_key);

        CREATE TABLE revisions (
            ns              TEXT NOT NULL,
            rev             TEXT NOT NULL,
            path_key        TEXT NOT NULL,
            path_display    TEXT NOT NULL,
            size            INTEGER NOT NULL,
            content_hash    TEXT NOT NULL,
            server_modified INTEGER NOT NULL,
            device_id       TEXT NOT NULL,
            PRIMARY KEY (ns, rev)
        ) STRICT;
        CREATE INDEX revisions_by_path ON revisions (ns, path_key, server_modified DESC);

        CREATE TABLE revision_blocks (
            ns   TEXT NOT NULL,
            rev  TEXT NOT NULL,
            idx  INTEGER NOT NULL,
            hash BLOB NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (ns, rev, idx),
            FOREIGN KEY (ns, rev) REFERENCES revisions (ns, rev) ON DELETE CASCADE
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX revision_blocks_by_hash ON revision_blocks (hash);

        CREATE TABLE journal (
            ns           TEXT NOT NULL,
            seq          INTEGER NOT NULL,
            kind         TEXT NOT NULL,
            path_display TEXT NOT NULL,
            from_path    TEXT,
            rev          TEXT,
            entry_kind   TEXT NOT NULL,
            size         INTEGER NOT NULL,
            content_hash TEXT,
            device_id    TEXT NOT NULL,
            time         INTEGER NOT NULL,
            PRIMARY KEY (ns, seq)
        ) STRICT;

        CREATE TABLE blocks (
            hash      BLOB NOT NULL PRIMARY KEY,
            size      INTEGER NOT NULL,
            stored_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX blocks_by_stored_at ON blocks (stored_at);

        CREATE TABLE block_holders (
            user_id TEXT NOT NULL,
            hash    BLOB NOT NULL REFERENCES blocks (hash) ON DELETE CASCADE,
            PRIMARY KEY (user_id, hash)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX block_holders_by_hash ON block_holders (hash);

        CREATE TABLE upload_sessions (
            upload_id           TEXT NOT NULL PRIMARY KEY,
            user_id             TEXT NOT NULL,
            device_id           TEXT NOT NULL,
            ns                  TEXT NOT NULL,
            path_display        TEXT NOT NULL,
            size                INTEGER NOT NULL,
            mode                TEXT NOT NULL,
            expected_rev        TEXT,
            client_content_hash TEXT,
            created_at          INTEGER NOT NULL,
            expires_at          INTEGER NOT NULL,
            committed_rev       TEXT
        ) STRICT;
        CREATE INDEX upload_sessions_by_expiry ON upload_sessions (expires_at);

        CREATE TABLE upload_session_blocks (
            upload_id TEXT NOT NULL REFERENCES upload_sessions (upload_id) ON DELETE CASCADE,
            idx       INTEGER NOT NULL,
            hash      BLOB NOT NULL,
            size      INTEGER NOT NULL,
            PRIMARY KEY (upload_id, idx)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX upload_session_blocks_by_hash ON upload_session_blocks (hash);
        """,
        """
        -- Each namespace's journal counter, so sequence numbers go on from the true latest after compaction empties the
        -- journal, and how far the journal was compacted. Backfilled from the journal as it stands.
        CREATE TABLE journal_state (
            ns                TEXT NOT NULL PRIMARY KEY,
            latest_seq        INTEGER NOT NULL,
            compacted_through INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        INSERT INTO journal_state (ns, latest_seq, compacted_through) SELECT ns, MAX(seq), 0 FROM journal GROUP BY ns;

        CREATE TABLE shares (
            share_id    TEXT NOT NULL PRIMARY KEY,
            owner_user  TEXT NOT NULL,
            ns          TEXT NOT NULL,
            folder_path TEXT NOT NULL,
            folder_key  TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        ) STRICT;
        -- Also the index of shares by namespace.
        CREATE UNIQUE INDEX shares_by_folder ON shares (ns, folder_key);

        CREATE TABLE share_members (
            share_id   TEXT NOT NULL REFERENCES shares (share_id) ON DELETE CASCADE,
            user_id    TEXT NOT NULL,
            email      TEXT NOT NULL,
            role       TEXT NOT NULL,
            mount_path TEXT NOT NULL,
            mount_key  TEXT NOT NULL,
            added_at   INTEGER NOT NULL,
            PRIMARY KEY (share_id, user_id)
        ) STRICT, WITHOUT ROWID;
        -- One mount per path in a user's tree; also the index of memberships by user, in mount order.
        CREATE UNIQUE INDEX share_members_by_user ON share_members (user_id, mount_key);
        CREATE INDEX share_members_by_added ON share_members (share_id, added_at);

        CREATE TABLE shared_links (
            link_id         TEXT NOT NULL PRIMARY KEY,
            token_hash      TEXT NOT NULL UNIQUE,
            owner_user      TEXT NOT NULL,
            ns              TEXT NOT NULL,
            path            TEXT NOT NULL,
            owner_view_path TEXT NOT NULL,
            expires_at      INTEGER,
            password_hash   TEXT,
            created_at      INTEGER NOT NULL,
            revoked_at      INTEGER
        ) STRICT;
        CREATE INDEX shared_links_by_owner ON shared_links (owner_user, created_at DESC, link_id DESC);

        CREATE TABLE notifications (
            notification_id TEXT NOT NULL PRIMARY KEY,
            user_id         TEXT NOT NULL,
            kind            TEXT NOT NULL,
            path            TEXT NOT NULL,
            actor_email     TEXT NOT NULL,
            actor_device    TEXT NOT NULL,
            time            INTEGER NOT NULL,
            is_read         INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX notifications_by_user ON notifications (user_id, time DESC, notification_id DESC);
        CREATE INDEX notifications_unread ON notifications (user_id) WHERE is_read = 0;
        """,
        """
        -- Links follow moves of their item: a move finds the links at or below the moved path by key. The key is
        -- derived from the display path by the core's rule (dropsync_path_key, registered by Migrate), not by SQLite's
        -- lower(), which folds ASCII only.
        ALTER TABLE shared_links ADD COLUMN path_key TEXT NOT NULL DEFAULT '';
        UPDATE shared_links SET path_key = dropsync_path_key(path);
        CREATE INDEX shared_links_by_path ON shared_links (ns, path_key);
        """,
        """
        -- App passwords (HTTP Basic for WebDAV clients; only a keyed hash of each secret) and WebDAV dead properties.
        CREATE TABLE app_passwords (
            app_password_id TEXT NOT NULL PRIMARY KEY,
            user_id         TEXT NOT NULL REFERENCES accounts (user_id),
            name            TEXT NOT NULL,
            secret_hash     TEXT NOT NULL,
            created_at      INTEGER NOT NULL,
            revoked_at      INTEGER
        ) STRICT;
        CREATE INDEX app_passwords_by_user ON app_passwords (user_id, created_at);

        CREATE TABLE dav_properties (
            ns       TEXT NOT NULL,
            path_key TEXT NOT NULL,
            prop_ns  TEXT NOT NULL,
            name     TEXT NOT NULL,
            xml      TEXT NOT NULL,
            PRIMARY KEY (ns, path_key, prop_ns, name)
        ) STRICT;
        """,
        """
        -- Retention (issue 16): when a path's history is next due for a check by the retention rule (ms); null when
        -- nothing of it can expire (a live folder, a file with only its current revision). Indexed only where set.
        -- Existing history is due at once, so the first passes bring it under the policy, a bounded page at a time.
        ALTER TABLE entries ADD COLUMN retention_due INTEGER;
        UPDATE entries SET retention_due = server_modified WHERE NOT (kind = 'Folder' AND is_deleted = 0);
        CREATE INDEX entries_by_retention_due ON entries (retention_due) WHERE retention_due IS NOT NULL;
        """,
        """
        -- Invitations to shared folders (issue 13): pending until the invitee accepts; keyed by e-mail address, so one
        -- waits for an account that does not exist yet. One per share and address.
        CREATE TABLE share_invitations (
            invitation_id TEXT NOT NULL PRIMARY KEY,
            share_id      TEXT NOT NULL,
            email         TEXT NOT NULL,
            role          TEXT NOT NULL,
            created_at    INTEGER NOT NULL,
            UNIQUE (share_id, email)
        ) STRICT;
        CREATE INDEX share_invitations_by_email ON share_invitations (email, created_at);
        """,
        """
        -- Sessions (issue 13): a device's token expires after an idle window; its last use is recorded every few minutes.
        ALTER TABLE devices ADD COLUMN last_used_at INTEGER;
        """,
        """
        -- Small blocks (issue 12): sealed exactly as a block file (same header, AES-256-GCM, verified on read) and kept
        -- here, so storing one shares its group's WAL fsync with its index record instead of two file fsyncs of its own.
        -- written_at in ms, for the sweep of blocks the index never recorded.
        CREATE TABLE inline_blocks (
            hash       BLOB NOT NULL PRIMARY KEY,
            sealed     BLOB NOT NULL,
            written_at INTEGER NOT NULL
        ) STRICT;
        """,
        """
        -- Aborted uploads (/files/upload/abort): no longer open (out of the cap's count), never finished; kept until they
        -- expire like any other session. Unix ms.
        ALTER TABLE upload_sessions ADD COLUMN aborted_at INTEGER;
        """,
        """
        -- Block holders keyed by block first (issue 12): every query of holders names the block (who of these holds it, and
        -- forgetting a block with its holders), so the table by (user, block) with an index by block was two b-trees that
        -- each commit recording a block wrote a leaf of, at a random place: one WAL page per small commit of ~10. The
        -- foreign key's cascade from blocks finds holders by the key's first column too.
        CREATE TABLE block_holders_by_block (
            hash    BLOB NOT NULL REFERENCES blocks (hash) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            PRIMARY KEY (hash, user_id)
        ) STRICT, WITHOUT ROWID;
        INSERT INTO block_holders_by_block (hash, user_id) SELECT hash, user_id FROM block_holders ORDER BY hash, user_id;
        DROP TABLE block_holders;
        ALTER TABLE block_holders_by_block RENAME TO block_holders;
        """,
    ];

    public static int LatestVersion => Steps.Length;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>, one transaction per step.</summary>
    public static void Migrate(SqliteConnection connection)
    {
        // Steps that backfill path keys need the core's key rule; it is deterministic, so indexes may rely on it.
        connection.CreateFunction("dropsync_path_key", (string display) => DropPath.KeyOf(display), isDeterministic: true);
        while (true)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var version = ReadVersion(transaction);
            if (version > LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The metadata database {connection.DataSource} has schema version {version}, newer than this DropSync build knows ({LatestVersion}); run a newer build.");
            }

            if (version == LatestVersion)
            {
                return;
            }

            using (var step = transaction.Command(Steps[version]))
            {
                step.ExecuteNonQuery();
            }

            // A pragma takes no parameters; the value is our own integer.
            using (var bump = transaction.Command("PRAGMA user_version = " + (version + 1).ToString(CultureInfo.InvariantCulture) + ";"))
            {
                bump.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private static int ReadVersion(SqliteTransaction transaction)
    {
        using var command = transaction.Command("PRAGMA user_version;");
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
