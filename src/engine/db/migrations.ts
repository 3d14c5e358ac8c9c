/**
 * Numbered schema migrations of the metadata database. Never edit a migration that has
 * shipped: add the next number. `migrate()` applies the missing ones in one transaction
 * each and records them in `schema_migrations`.
 */
import type { Database } from 'better-sqlite3';
import { StowageError } from '../../errors.js';

/** One schema step. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** All migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE buckets (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        versioning TEXT NOT NULL DEFAULT 'Unversioned'
      ) STRICT;

      -- Sub-resource documents (policy, CORS, lifecycle …). config_id is '' for the
      -- singleton kinds and the configuration Id for the listable ones (inventory,
      -- intelligent-tiering, metrics).
      CREATE TABLE bucket_configs (
        bucket TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        config_id TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (bucket, kind, config_id)
      ) STRICT;

      -- One row per object version or delete marker. id orders versions newest-last;
      -- keys compare as UTF-8 bytes (BINARY collation), which is S3's listing order.
      CREATE TABLE versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        is_latest INTEGER NOT NULL,
        is_delete_marker INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        headers TEXT NOT NULL,
        metadata TEXT NOT NULL,
        tags TEXT NOT NULL,
        storage_class TEXT NOT NULL,
        restore TEXT,
        checksums TEXT NOT NULL,
        checksum_type TEXT,
        md5 TEXT,
        sha256 TEXT,
        segments TEXT NOT NULL,
        part_sizes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        accessed_at INTEGER NOT NULL,
        UNIQUE (bucket, key, version_id)
      ) STRICT;
      CREATE INDEX versions_by_key ON versions (bucket, key, id DESC);
      CREATE INDEX versions_current ON versions (bucket, key) WHERE is_latest = 1;

      CREATE TABLE uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL REFERENCES buckets(name),
        key TEXT NOT NULL,
        initiated_at INTEGER NOT NULL,
        headers TEXT NOT NULL,
        metadata TEXT NOT NULL,
        tags TEXT NOT NULL,
        storage_class TEXT NOT NULL,
        checksum_algorithm TEXT,
        checksum_type TEXT
      ) STRICT;
      CREATE INDEX uploads_by_key ON uploads (bucket, key);

      CREATE TABLE parts (
        upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
        part_number INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        md5 TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        checksums TEXT NOT NULL,
        blob_id TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (upload_id, part_number)
      ) STRICT;

      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'object-acl',
    // An object version's ACL, and the ACL a multipart upload gives the object it
    // completes: a canned ACL name or a JSON grant list (src/engine/objects/acl.ts).
    // NULL is private, which every existing object is.
    sql: `
      ALTER TABLE versions ADD COLUMN acl TEXT;
      ALTER TABLE uploads ADD COLUMN acl TEXT;
    `,
  },
  {
    version: 3,
    name: 'encryption-at-rest',
    // Server-side encryption: a version's and an upload's setting (JSON ObjectEncryption,
    // NULL = in the clear), and the envelope of each part's blob (wrapped data key, nonce
    // prefix, format; see src/engine/crypto/). A version's blob envelopes are in the `e`
    // field of its segments.
    sql: `
      ALTER TABLE versions ADD COLUMN encryption TEXT;
      ALTER TABLE uploads ADD COLUMN encryption TEXT;
      ALTER TABLE parts ADD COLUMN envelope TEXT;
    `,
  },
  {
    version: 4,
    name: 'inline-blobs',
    // Bytes of small objects, kept beside their metadata (src/engine/blobs/inline-blobs.ts).
    // A segment whose blob id starts with 'i' names a row here instead of a file; an
    // encrypted one holds the sealed bytes, as its file would.
    sql: `
      CREATE TABLE inline_blobs (
        id TEXT PRIMARY KEY,
        data BLOB NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'part-checksums',
    // The part checksums of a completed multipart upload, for GetObjectAttributes and for a
    // GET or HEAD of one part with x-amz-checksum-mode (objects made before have none).
    sql: `
      ALTER TABLE versions ADD COLUMN part_checksums TEXT;
    `,
  },
  {
    version: 6,
    name: 'version-gaps',
    // Where versions deleted one by one stood in their key's listing order (versions.id),
    // kept a day: a version listing resumed from a marker deleted since goes on right
    // after it, as S3's does (list-versions.ts).
    sql: `
      CREATE TABLE version_gaps (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        deleted_at INTEGER NOT NULL,
        PRIMARY KEY (bucket, key, version_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX version_gaps_by_age ON version_gaps (deleted_at);
    `,
  },
  {
    version: 7,
    name: 'completed-uploads',
    // What CompleteMultipartUpload answered, kept a day by upload id, so that a client
    // retrying a Complete whose answer it never got (a cut connection, a crash right after
    // the commit) gets the same answer, as from S3, instead of NoSuchUpload.
    sql: `
      CREATE TABLE completed_uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        parts TEXT NOT NULL,
        result TEXT NOT NULL,
        completed_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX completed_uploads_by_age ON completed_uploads (completed_at);
    `,
  },
  {
    version: 8,
    name: 'encryption-keys',
    // Every key reference (`s3`, `kms:<name>`) data was ever encrypted under, so that the
    // engine can check at open that each key file is there and whole (crypto/keys.ts):
    // filled here from the envelopes already stored, then as each key is first used.
    // A segments value that is not JSON (damage the deep check reports) adds nothing.
    sql: `
      CREATE TABLE encryption_keys (ref TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
      INSERT OR IGNORE INTO encryption_keys (ref)
        SELECT DISTINCT json_extract(j.value, '$.e.r')
        FROM versions v,
          json_each(CASE WHEN json_valid(v.segments) THEN v.segments ELSE '[]' END) j
        WHERE instr(v.segments, '"r":') > 0 AND json_type(j.value) = 'object'
          AND json_type(j.value, '$.e.r') = 'text';
      INSERT OR IGNORE INTO encryption_keys (ref)
        SELECT DISTINCT json_extract(envelope, '$.r') FROM parts
        WHERE envelope IS NOT NULL AND json_valid(envelope)
          AND json_type(envelope, '$.r') = 'text';
    `,
  },
  {
    version: 9,
    name: 'upload-base',
    // The id of the key's latest row (0: none) when a multipart upload was created: a
    // Complete with If-Match or If-None-Match whose key was written or deleted since is
    // ConditionalRequestConflict, as on S3. NULL for uploads created before: not checked.
    sql: `
      ALTER TABLE uploads ADD COLUMN base_seq INTEGER;
    `,
  },
  {
    version: 10,
    name: 'upload-initiator',
    // The ARN of the IAM user (a named access key) who created a multipart upload, which
    // ListParts and ListMultipartUploads name as its Initiator. NULL: the account itself
    // (the root key, the library), and every upload created before.
    sql: `
      ALTER TABLE uploads ADD COLUMN initiator TEXT;
    `,
  },
  {
    version: 11,
    name: 'live-versions-index',
    // The keys ListObjects shows: their current version, not a delete marker. Through
    // versions_current a listing stepped over every delete marker in its way, about 0.1 µs
    // each (102 ms a page behind a million deleted keys of a versioned bucket); this index
    // holds none of them (0.1–1 ms). Built in 73 ms over a million versions.
    sql: `
      CREATE INDEX versions_live ON versions (bucket, key) WHERE is_latest = 1 AND is_delete_marker = 0;
    `,
  },
  {
    version: 12,
    name: 'object-lock',
    // Object Lock (src/engine/objects/object-lock.ts): whether a bucket has it, and each
    // version's (and each multipart upload's, for the object it completes) retention and
    // legal hold as JSON; NULL is none.
    sql: `
      ALTER TABLE buckets ADD COLUMN object_lock INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE versions ADD COLUMN lock TEXT;
      ALTER TABLE uploads ADD COLUMN lock TEXT;
    `,
  },
  {
    version: 13,
    name: 'inline-rows',
    // Inline blobs keyed by row number (ids 'j<n>'): one B-tree per row instead of the
    // table and the primary-key index of inline_blobs, which keeps the rows written before
    // (ids 'i<hex>'). See src/engine/blobs/inline-blobs.ts.
    sql: `
      CREATE TABLE inline_rows (
        id INTEGER PRIMARY KEY,
        data BLOB NOT NULL
      ) STRICT;
    `,
  },
];

/** Applies every migration newer than the database's version. Returns the versions applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    // Written by a newer Stowage (a rollback after an upgrade): this code does not know
    // what the newer columns and tables mean, and writing would corrupt them.
    throw new StowageError(
      'E_CONFIG_INVALID',
      `the metadata database is at schema version ${current}, newer than this Stowage knows (${newest}): it was written by a newer version; run that version, or restore a backup made before the upgrade`,
      { details: { schemaVersion: current, knownVersion: newest } },
    );
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    })();
    applied.push(m.version);
  }
  return applied;
}
