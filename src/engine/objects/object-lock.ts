/**
 * Object Lock (S3's write-once-read-many protection), as S3 keeps it:
 *
 * - A bucket has object lock from its creation or from the moment it is turned on (which
 *   needs versioning Enabled); it can never be turned off, nor versioning suspended.
 * - Each version may carry a retention (GOVERNANCE or COMPLIANCE until a date) and a legal
 *   hold (ON or OFF). A version with a retention in force or a legal hold ON cannot be
 *   deleted by version id; a delete without a version id only adds a delete marker.
 * - COMPLIANCE retention can be extended but never shortened, removed or weakened to
 *   GOVERNANCE. GOVERNANCE retention can be shortened or removed only by a caller who may
 *   bypass governance (s3:BypassGovernanceRetention, decided by the S3 front end).
 *
 * The settings of a version are stored in its `lock` column as JSON (`m` mode, `u` retain
 * until in ms, `h` legal hold); NULL is none. All checks of a delete or change run inside
 * the commit job that makes it, so no concurrent request can slip past them.
 */
import { StowageError } from '../../errors.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import type { VersionRow } from '../rows.js';
import type {
  LegalHoldStatus,
  ObjectLockMode,
  ObjectLockSettings,
  ObjectRetention,
} from '../types.js';
import { resolveVersion } from './read.js';

interface StoredLock {
  m?: ObjectLockMode;
  u?: number;
  h?: LegalHoldStatus;
}

const MODES: readonly string[] = ['GOVERNANCE', 'COMPLIANCE'];
const HOLDS: readonly string[] = ['ON', 'OFF'];

/**
 * The time retention is judged by: the engine's clock, but never later than the real one.
 * `stowage engine clock advance` moves the engine's clock forward to try lifecycle rules;
 * it must not end a COMPLIANCE retention that nobody may shorten. (A clock a test sets in
 * the past is followed.)
 */
export function lockClock(ctx: EngineContext): number {
  return Math.min(ctx.now(), Date.now());
}

/** S3's words for a change or delete that object lock forbids (403 AccessDenied). */
const PROTECTED = 'Access Denied because object protected by object lock.';

/**
 * S3's InvalidRequest for Object Lock settings asked of a bucket without it; `what` names
 * what cannot be honoured (the headers sent, say).
 */
export function missingObjectLock(bucket: string, what?: string): StowageError {
  return new StowageError(
    'E_INVALID_REQUEST',
    `Bucket is missing Object Lock Configuration: bucket "${bucket}" was created without ` +
      'object lock and it has not been turned on (PutObjectLockConfiguration)' +
      (what === undefined ? '' : `, so ${what} cannot be honoured`),
    { details: { bucket } },
  );
}

/** Throws E_INVALID_REQUEST unless the bucket has object lock. */
export function requireObjectLockBucket(ctx: EngineContext, bucket: string): void {
  if (!requireBucket(ctx, bucket).objectLock) throw missingObjectLock(bucket);
}

function assertRetention(r: ObjectRetention, nowMs: number): void {
  if (!MODES.includes(r.mode)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `object lock mode must be GOVERNANCE or COMPLIANCE, got "${String(r.mode)}"`,
      { details: { argumentName: 'x-amz-object-lock-mode', argumentValue: String(r.mode) } },
    );
  }
  const until = r.retainUntil.getTime();
  if (!Number.isFinite(until)) {
    throw new StowageError('E_INVALID_ARGUMENT', 'the retain until date is not a valid date', {
      details: { argumentName: 'x-amz-object-lock-retain-until-date' },
    });
  }
  if (until <= nowMs) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `The retain until date must be in the future: ${r.retainUntil.toISOString()} has passed`,
      {
        details: {
          argumentName: 'x-amz-object-lock-retain-until-date',
          argumentValue: r.retainUntil.toISOString(),
        },
      },
    );
  }
}

function assertHold(h: string): asserts h is LegalHoldStatus {
  if (!HOLDS.includes(h)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `legal hold status must be ON or OFF, got "${h}"`,
      {
        details: { argumentName: 'x-amz-object-lock-legal-hold', argumentValue: h },
      },
    );
  }
}

/**
 * Validates the lock settings of a new version and returns the `lock` column's value
 * (undefined for none). The retention must end in the future.
 */
export function storedLock(
  settings: ObjectLockSettings | undefined,
  nowMs: number,
): string | undefined {
  if (settings === undefined) return undefined;
  const out: StoredLock = {};
  if (settings.retention) {
    assertRetention(settings.retention, nowMs);
    out.m = settings.retention.mode;
    out.u = settings.retention.retainUntil.getTime();
  }
  if (settings.legalHold !== undefined) {
    assertHold(settings.legalHold);
    out.h = settings.legalHold;
  }
  return out.m === undefined && out.h === undefined ? undefined : JSON.stringify(out);
}

/**
 * The `lock` attribute of a new version in `bucket` (validated; the bucket must have object
 * lock when settings are given): spread into VersionAttributes.
 */
export function lockAttribute(
  ctx: EngineContext,
  bucket: string,
  settings: ObjectLockSettings | undefined,
): { lock?: string } {
  if (settings === undefined) return {};
  requireObjectLockBucket(ctx, bucket);
  const lock = storedLock(settings, lockClock(ctx));
  return lock === undefined ? {} : { lock };
}

function parseStored(lock: string | null | undefined): StoredLock {
  return lock ? (JSON.parse(lock) as StoredLock) : {};
}

/** The lock settings of a row, for ObjectInfo; undefined when it has none. */
export function lockOf(row: Pick<VersionRow, 'lock'>): ObjectLockSettings | undefined {
  if (!row.lock) return undefined;
  const s = parseStored(row.lock);
  const out: ObjectLockSettings = {};
  if (s.m !== undefined && s.u !== undefined)
    out.retention = { mode: s.m, retainUntil: new Date(s.u) };
  if (s.h !== undefined) out.legalHold = s.h;
  return out;
}

/**
 * Throws 403 AccessDenied if object lock forbids deleting this version now: a legal hold
 * ON, COMPLIANCE retention in force, or GOVERNANCE retention in force without a bypass.
 */
export function assertDeletable(row: VersionRow, nowMs: number, bypassGovernance: boolean): void {
  if (!row.lock) return;
  const s = parseStored(row.lock);
  const details = { bucket: row.bucket, key: row.key, versionId: row.version_id };
  if (s.h === 'ON') {
    throw new StowageError('E_ACCESS_DENIED', `${PROTECTED} The version has a legal hold.`, {
      details,
    });
  }
  if (s.u === undefined || s.u <= nowMs) return;
  if (s.m === 'GOVERNANCE' && bypassGovernance) return;
  throw new StowageError(
    'E_ACCESS_DENIED',
    `${PROTECTED} The version is under ${s.m} retention until ${new Date(s.u).toISOString()}` +
      (s.m === 'GOVERNANCE' ? ' (x-amz-bypass-governance-retention: true lifts it).' : '.'),
    { details },
  );
}

/** The retention of a version; NoSuchObjectLockConfiguration when it has none. */
export function getObjectRetention(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
): ObjectRetention {
  requireObjectLockBucket(ctx, bucket);
  const row = resolveVersion(ctx, bucket, key, versionId);
  const retention = lockOf(row)?.retention;
  if (retention) return retention;
  throw noLockConfiguration(bucket, key, 'retention');
}

/** The legal hold of a version; NoSuchObjectLockConfiguration when none was ever set. */
export function getObjectLegalHold(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
): LegalHoldStatus {
  requireObjectLockBucket(ctx, bucket);
  const row = resolveVersion(ctx, bucket, key, versionId);
  const hold = lockOf(row)?.legalHold;
  if (hold) return hold;
  throw noLockConfiguration(bucket, key, 'legal hold');
}

function noLockConfiguration(bucket: string, key: string, what: string): StowageError {
  return new StowageError(
    'E_NO_SUCH_BUCKET_CONFIG',
    `The specified object does not have a ObjectLock configuration: "${key}" has no ${what}`,
    { s3Code: 'NoSuchObjectLockConfiguration', details: { bucket, key } },
  );
}

/**
 * Whether replacing retention `old` by `next` (undefined: removing it) is allowed at
 * `nowMs`; throws AccessDenied when not. Retention that has ended is no constraint.
 */
function assertRetentionChange(
  old: StoredLock,
  next: ObjectRetention | undefined,
  nowMs: number,
  bypassGovernance: boolean,
): void {
  if (old.u === undefined || old.u <= nowMs) return;
  const extendsAsIs =
    next !== undefined && next.mode === old.m && next.retainUntil.getTime() >= old.u;
  if (old.m === 'COMPLIANCE') {
    if (extendsAsIs) return;
    throw new StowageError(
      'E_ACCESS_DENIED',
      `${PROTECTED} COMPLIANCE retention until ${new Date(old.u).toISOString()} can only be ` +
        'extended, never shortened, removed or changed to GOVERNANCE.',
    );
  }
  if (extendsAsIs || bypassGovernance) return;
  // Changing the mode to COMPLIANCE needs the bypass too (as S3 and Ceph's s3-tests have
  // it): else a key that may only set retention could make a version nobody may delete.
  throw new StowageError(
    'E_ACCESS_DENIED',
    `${PROTECTED} GOVERNANCE retention until ${new Date(old.u).toISOString()} can be ` +
      'shortened, removed or changed to COMPLIANCE only with ' +
      'x-amz-bypass-governance-retention: true and s3:BypassGovernanceRetention.',
  );
}

/** PutObjectRetention: sets, extends, shortens or (undefined) removes a version's retention. */
export async function putObjectRetention(
  ctx: EngineContext,
  bucket: string,
  key: string,
  retention: ObjectRetention | undefined,
  options: { versionId?: string; bypassGovernance?: boolean } = {},
): Promise<{ versionId: string }> {
  requireObjectLockBucket(ctx, bucket);
  if (retention) assertRetention(retention, lockClock(ctx));
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run(() => {
    const row = resolveVersion(ctx, bucket, key, options.versionId);
    const old = parseStored(row.lock);
    assertRetentionChange(old, retention, lockClock(ctx), options.bypassGovernance === true);
    const next: StoredLock = { ...(old.h !== undefined ? { h: old.h } : {}) };
    if (retention) {
      next.m = retention.mode;
      next.u = retention.retainUntil.getTime();
    }
    writeLock(ctx, row.id, next);
    return { versionId: row.version_id };
  });
}

/** PutObjectLegalHold: turns a version's legal hold ON or OFF. */
export async function putObjectLegalHold(
  ctx: EngineContext,
  bucket: string,
  key: string,
  status: LegalHoldStatus,
  versionId?: string,
): Promise<{ versionId: string }> {
  requireObjectLockBucket(ctx, bucket);
  assertHold(status);
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run(() => {
    const row = resolveVersion(ctx, bucket, key, versionId);
    writeLock(ctx, row.id, { ...parseStored(row.lock), h: status });
    return { versionId: row.version_id };
  });
}

function writeLock(ctx: EngineContext, rowId: number, lock: StoredLock): void {
  const value = lock.m === undefined && lock.h === undefined ? null : JSON.stringify(lock);
  ctx.sql('UPDATE versions SET lock = ? WHERE id = ?').run(value, rowId);
}
