/**
 * Where a new version goes, and what a delete does, under each versioning state. This
 * is S3's behaviour:
 *
 * - Unversioned and Suspended buckets keep at most one `null` version per key: a write
 *   replaces it (and its bytes). In a Suspended bucket, versions with real ids written
 *   while versioning was Enabled stay.
 * - Enabled buckets give every write a new version id; the previous one stays.
 * - A delete without a version id removes the object in an Unversioned bucket, and adds a
 *   delete marker otherwise (with a real id when Enabled, as the `null` version when
 *   Suspended, replacing any `null` version).
 * - A delete with a version id removes exactly that version; if it was the latest, the
 *   next newest becomes latest.
 *
 * All functions here run inside a commit job.
 */
import { randomHex } from '../../random-bytes.js';
import { StowageError } from '../../errors.js';
import type { CommitContext } from '../db/commit-queue.js';
import type { EngineContext } from '../context.js';
import { blobIdsOf, type NewVersion, type VersionRow } from '../rows.js';
import { checkWriteConditions } from '../conditions.js';
import { assertDeletable, lockClock } from './object-lock.js';
import type { VersioningState, WriteConditions } from '../types.js';

/** A fresh version id: 32 hex characters. */
export function newVersionId(): string {
  return randomHex(16);
}

const VERSION_ID = /^([0-9a-f]{32}|null)$/;

/** True for a version id this engine can have issued. */
export function isVersionId(versionId: string): boolean {
  return VERSION_ID.test(versionId);
}

/** Throws E_INVALID_ARGUMENT for a version id this engine can never have issued. */
export function assertVersionId(versionId: string): void {
  if (!isVersionId(versionId)) {
    throw new StowageError('E_INVALID_ARGUMENT', `invalid version id "${versionId}"`, {
      details: { versionId },
    });
  }
}

/**
 * Checks S3's conditional-write headers (or a conditional delete's If-Match) against the
 * key's current object: its ETag, or none when the key is absent or a delete marker.
 */
export function checkCurrentConditions(
  ctx: EngineContext,
  bucket: string,
  key: string,
  conditions: WriteConditions | undefined,
): void {
  if (!hasWriteConditions(conditions)) return;
  const current = latestRow(ctx, bucket, key);
  checkWriteConditions(
    conditions,
    current && current.is_delete_marker === 0 ? current.etag : undefined,
  );
}

/** True when `c` holds a condition to check (callers pass headers that may be absent). */
function hasWriteConditions(c: WriteConditions | undefined): c is WriteConditions {
  return c !== undefined && (c.ifNoneMatch !== undefined || c.ifMatch !== undefined);
}

/** The latest version or delete marker of a key, if any. */
export function latestRow(ctx: EngineContext, bucket: string, key: string): VersionRow | undefined {
  return ctx
    .sql('SELECT * FROM versions WHERE bucket = ? AND key = ? AND is_latest = 1')
    .get(bucket, key) as VersionRow | undefined;
}

/** One version by id, if any. */
export function versionRow(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId: string,
): VersionRow | undefined {
  return ctx
    .sql('SELECT * FROM versions WHERE bucket = ? AND key = ? AND version_id = ?')
    .get(bucket, key, versionId) as VersionRow | undefined;
}

function removeRow(ctx: EngineContext, tx: CommitContext, row: VersionRow): void {
  ctx.sql('DELETE FROM versions WHERE id = ?').run(row.id);
  tx.dropBlobs(blobIdsOf(row));
}

/**
 * A delete took the key's latest row away: its uploads in progress no longer start from
 * what is there. A write needs no mark (its new row has a new id), but a put and a delete
 * since an upload began would otherwise look like no change (multipart.ts,
 * checkUnchangedSinceCreate). -1 is no row id.
 */
function markUploadsChanged(ctx: EngineContext, bucket: string, key: string): void {
  ctx
    .sql('UPDATE uploads SET base_seq = -1 WHERE bucket = ? AND key = ? AND base_seq IS NOT NULL')
    .run(bucket, key);
}

/**
 * Dates `v` after `t`, the time of the version it replaces, when the clock says earlier (see
 * insert): a second later, so that the two Last-Modified headers (whole seconds) differ.
 */
function notBefore(v: NewVersion, t: number): void {
  if (t <= v.created_at) return;
  v.created_at = t + 1000;
  v.accessed_at = Math.max(v.accessed_at, v.created_at);
}

/**
 * Inserts `v` as the latest version of its key. Its time (Last-Modified) is never earlier
 * than the version it replaces (notBefore): after the clock stepped back (an NTP correction, a VM
 * resumed), a new version dated before the old one made `If-Modified-Since` answer 304 and
 * sync tools that compare times skip the change. `v.created_at` is raised in place (a
 * replaced null version is removed before: placeVersion raises it for that one).
 */
function insert(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId: string,
  v: NewVersion,
): void {
  const replaced = ctx
    .sql(
      'UPDATE versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1 RETURNING created_at',
    )
    .get(bucket, key) as { created_at: number } | undefined;
  if (replaced) notBefore(v, replaced.created_at);
  ctx
    .sql(
      `INSERT INTO versions (bucket, key, version_id, is_latest, is_delete_marker, size, etag, headers, metadata,
         tags, storage_class, restore, checksums, checksum_type, md5, sha256, segments, part_sizes, part_checksums, created_at, accessed_at,
         encryption, acl, lock)
       VALUES (@bucket, @key, @version_id, 1, @is_delete_marker, @size, @etag, @headers, @metadata, @tags,
         @storage_class, @restore, @checksums, @checksum_type, @md5, @sha256, @segments, @part_sizes, @part_checksums, @created_at, @accessed_at,
         @encryption, @acl, @lock)`,
    )
    .run({
      part_checksums: null,
      ...v,
      encryption: v.encryption ?? null,
      acl: v.acl ?? null,
      lock: v.lock ?? null,
      bucket,
      key,
      version_id: versionId,
    });
}

/** Adds `v` as the latest version of its key. Returns the version id it got. */
export function placeVersion(
  ctx: EngineContext,
  tx: CommitContext,
  state: VersioningState,
  v: NewVersion,
  chosen?: string,
): string {
  let versionId = 'null';
  if (state === 'Enabled') {
    // A long copy names its version id before it commits (copy.ts).
    versionId = chosen ?? newVersionId();
  } else {
    const old = versionRow(ctx, v.bucket, v.key, 'null');
    if (old) {
      // Unreachable with object lock (its buckets stay Enabled), kept as a last guard.
      assertDeletable(old, lockClock(ctx), false);
      if (old.is_latest) notBefore(v, old.created_at);
      removeRow(ctx, tx, old);
    }
  }
  insert(ctx, v.bucket, v.key, versionId, v);
  return versionId;
}

/** Result of a delete, as S3 reports it. */
export interface DeletePlacement {
  versionId?: string;
  deleteMarker: boolean;
}

/** Deletes the current object (no version id given). */
export function deleteCurrent(
  ctx: EngineContext,
  tx: CommitContext,
  state: VersioningState,
  bucket: string,
  key: string,
): DeletePlacement {
  if (state === 'Unversioned') {
    const row = versionRow(ctx, bucket, key, 'null');
    if (row) {
      assertDeletable(row, lockClock(ctx), false);
      removeRow(ctx, tx, row);
      markUploadsChanged(ctx, bucket, key);
    }
    return { deleteMarker: false };
  }
  const now = ctx.now();
  const marker: NewVersion = {
    bucket,
    key,
    is_delete_marker: 1,
    size: 0,
    etag: '',
    headers: '{}',
    metadata: '{}',
    tags: '{}',
    storage_class: 'STANDARD',
    restore: null,
    checksums: '{}',
    checksum_type: null,
    md5: null,
    sha256: null,
    segments: '[]',
    part_sizes: '[]',
    created_at: now,
    accessed_at: now,
  };
  const versionId = placeVersion(ctx, tx, state, marker);
  return { versionId, deleteMarker: true };
}

/** How long a deleted version's place in its key's listing order is remembered. */
export const GAP_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Remembers where a version deleted by id stood (its row id), so that a version listing
 * whose marker it was resumes right after it; places older than GAP_TTL_MS are dropped.
 */
function rememberGap(ctx: EngineContext, row: VersionRow): void {
  const now = ctx.now();
  ctx.sql('DELETE FROM version_gaps WHERE deleted_at < ?').run(now - GAP_TTL_MS);
  ctx
    .sql(
      'INSERT OR REPLACE INTO version_gaps (bucket, key, version_id, seq, deleted_at) VALUES (?, ?, ?, ?, ?)',
    )
    .run(row.bucket, row.key, row.version_id, row.id, now);
}

/**
 * Deletes one specific version. Deleting a version that does not exist succeeds, as in S3.
 * Object lock may forbid it (AccessDenied; see object-lock.ts).
 */
export function deleteVersion(
  ctx: EngineContext,
  tx: CommitContext,
  bucket: string,
  key: string,
  versionId: string,
  bypassGovernance = false,
): DeletePlacement {
  assertVersionId(versionId);
  const row = versionRow(ctx, bucket, key, versionId);
  if (!row) return { versionId, deleteMarker: false };
  assertDeletable(row, lockClock(ctx), bypassGovernance);
  removeRow(ctx, tx, row);
  rememberGap(ctx, row);
  if (row.is_latest === 1) {
    markUploadsChanged(ctx, bucket, key);
    ctx
      .sql(
        `UPDATE versions SET is_latest = 1 WHERE id =
           (SELECT id FROM versions WHERE bucket = ? AND key = ? ORDER BY id DESC LIMIT 1)`,
      )
      .run(bucket, key);
  }
  return { versionId, deleteMarker: row.is_delete_marker === 1 };
}
