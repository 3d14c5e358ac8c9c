/**
 * Object Lock over S3: the bucket's configuration (Get/PutObjectLockConfiguration), a
 * version's retention and legal hold (Get/PutObjectRetention, Get/PutObjectLegalHold), the
 * x-amz-object-lock-* headers of writes and reads, and x-amz-bypass-governance-retention.
 * The rules themselves are the engine's (src/engine/objects/object-lock.ts).
 */
import { missingObjectLock } from '../../engine/objects/object-lock.js';
import type {
  LegalHoldStatus,
  ObjectInfo,
  ObjectLockMode,
  ObjectLockSettings,
} from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { bucketOf, header, keyOf, param, type S3Request } from '../context.js';
import {
  defaultRetainUntil,
  parseLegalHold,
  parseLockDate,
  parseObjectLockConfiguration,
  parseRetention,
  type DefaultRetention,
} from '../documents/object-lock.js';
import type { RequestedLock } from '../policy/request-context.js';
import { sendEmpty, sendXml } from '../respond.js';
import { readSmallBody, requireBodyChecksum } from '../small-body.js';
import { compactDocument } from '../xml/compact.js';
import { decodeUtf8 } from '../xml/well-formed.js';
import { S3_XMLNS } from '../xml/build.js';

const MODE = 'x-amz-object-lock-mode';
const UNTIL = 'x-amz-object-lock-retain-until-date';
const HOLD = 'x-amz-object-lock-legal-hold';
const BYPASS = 'x-amz-bypass-governance-retention';

/** The largest Object Lock document read. */
const MAX_BODY = 64 * 1024;

/** GetObjectLockConfiguration: the stored document, or `Enabled` alone for a bucket created with it. */
export function getObjectLockConfiguration(r: S3Request): void {
  const bucket = bucketOf(r);
  if (!r.engine.headBucket(bucket).objectLock) {
    throw new StowageError(
      'E_NO_SUCH_BUCKET_CONFIG',
      `Object Lock configuration does not exist for bucket "${bucket}"`,
      { s3Code: 'ObjectLockConfigurationNotFoundError', details: { bucket } },
    );
  }
  const stored = storedConfiguration(r, bucket);
  const xml =
    stored === undefined
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<ObjectLockConfiguration xmlns="${S3_XMLNS}">` +
        '<ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>'
      : compactDocument(stored);
  r.res.statusCode = 200;
  r.res.setHeader('Content-Type', 'application/xml');
  r.res.setHeader('Content-Length', Buffer.byteLength(xml));
  r.res.end(xml);
}

function storedConfiguration(r: S3Request, bucket: string): string | undefined {
  return r.engine.findBucketConfig(bucket, 'object-lock');
}

/**
 * PutObjectLockConfiguration: turns Object Lock on (versioning must be Enabled) and sets or
 * replaces the default retention; a document without a Rule removes the default.
 */
export async function putObjectLockConfiguration(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  const text = decodeUtf8(await readSmallBody(r, MAX_BODY));
  r.engine.headBucket(bucket);
  requireBodyChecksum(r);
  parseObjectLockConfiguration(text);
  await r.engine.putObjectLockConfiguration(bucket, text);
  sendEmpty(r.res, 200);
}

/** The bucket's default retention, if its configuration has one. */
function defaultRetention(r: S3Request, bucket: string): DefaultRetention | undefined {
  const stored = storedConfiguration(r, bucket);
  return stored === undefined ? undefined : parseObjectLockConfiguration(stored);
}

function invalidHeader(name: string, value: string, message: string): StowageError {
  return new StowageError('E_INVALID_ARGUMENT', message, {
    details: { argumentName: name, argumentValue: value },
  });
}

/**
 * The Object Lock settings of a new version (PutObject, CopyObject, CreateMultipartUpload):
 * the x-amz-object-lock-* headers, else the bucket's default retention. Undefined when there
 * are none. In a bucket without Object Lock, any of the headers is InvalidRequest.
 */
export function lockForWrite(r: S3Request): ObjectLockSettings | undefined {
  const bucket = bucketOf(r);
  const mode = header(r, MODE);
  const until = header(r, UNTIL);
  const hold = header(r, HOLD);
  if ((mode === undefined) !== (until === undefined)) {
    throw invalidHeader(
      mode === undefined ? UNTIL : MODE,
      mode ?? until ?? '',
      `${UNTIL} and ${MODE} must both be supplied`,
    );
  }
  if (!r.engine.headBucket(bucket).objectLock) {
    const sent = [MODE, UNTIL, HOLD].filter((h) => header(r, h) !== undefined);
    if (sent.length === 0) return undefined;
    throw missingObjectLock(bucket, sent.join(', '));
  }
  // The mode, the date's being in the future and the legal hold are the engine's to check
  // (objects/object-lock.ts), before any byte is stored; only the date's form is read here.
  const out: ObjectLockSettings = {};
  if (mode !== undefined && until !== undefined) {
    const date = parseLockDate(until);
    if (!date) {
      throw invalidHeader(
        UNTIL,
        until,
        `The retain until date must be provided in ISO 8601 format (2027-01-01T00:00:00Z), got "${until}"`,
      );
    }
    out.retention = { mode: mode as ObjectLockMode, retainUntil: date };
  } else {
    const rule = defaultRetention(r, bucket);
    if (rule) {
      // Counted by the retention clock: `stowage engine clock advance` must not lengthen it.
      out.retention = {
        mode: rule.mode,
        retainUntil: defaultRetainUntil(rule, r.engine.lockNow()),
      };
    }
  }
  if (hold !== undefined) out.legalHold = hold as LegalHoldStatus;
  // An empty legal-hold header is checked too (refused as neither ON nor OFF), not dropped.
  return out.retention || out.legalHold !== undefined ? out : undefined;
}

/**
 * The x-amz-object-lock-* headers of a GET or HEAD, each only for a caller allowed to read
 * it (s3:GetObjectRetention, s3:GetObjectLegalHold), as on S3.
 */
export function writeLockHeaders(r: S3Request, info: ObjectInfo): void {
  const lock = info.lock;
  if (!lock) return;
  const may = r.deferred?.mayRead;
  if (lock.retention && may?.('s3:GetObjectRetention')) {
    r.res.setHeader(MODE, lock.retention.mode);
    r.res.setHeader(UNTIL, lock.retention.retainUntil.toISOString());
  }
  if (lock.legalHold && may?.('s3:GetObjectLegalHold')) r.res.setHeader(HOLD, lock.legalHold);
}

/**
 * Whether the request asks to lift GOVERNANCE retention (`x-amz-bypass-governance-retention:
 * true`). On a bucket without Object Lock the header is InvalidArgument, true or false, as
 * S3 answers it: call this before reading a body.
 */
export function bypassRequested(r: S3Request): boolean {
  const value = header(r, BYPASS);
  if (value === undefined) return false;
  const bucket = bucketOf(r);
  if (!r.engine.headBucket(bucket).objectLock) {
    throw invalidHeader(
      BYPASS,
      value,
      `${BYPASS} is only for buckets with object lock; bucket "${bucket}" does not have it`,
    );
  }
  return value.trim().toLowerCase() === 'true';
}

/** Whether the caller holds s3:BypassGovernanceRetention on this key (authorisation's call). */
export function mayBypass(r: S3Request, key: string, versionId?: string): boolean {
  return r.deferred?.bypassGovernance?.(key, versionId) === true;
}

/** Both: the request asks to lift GOVERNANCE retention of this key and may. */
export function bypassGovernance(r: S3Request, key: string, versionId?: string): boolean {
  return bypassRequested(r) && mayBypass(r, key, versionId);
}

/**
 * The bucket of a retention or legal-hold request, which must have Object Lock: S3 answers
 * InvalidRequest for any other bucket, whether or not the object exists, before anything
 * about the body.
 */
function lockBucket(r: S3Request): string {
  const bucket = bucketOf(r);
  if (r.engine.headBucket(bucket).objectLock) return bucket;
  throw missingObjectLock(bucket, 'a retention or legal hold');
}

/**
 * Applies the policy check authorisation left for the settings in the body (their
 * `s3:object-lock-*` keys). Fails closed: a request not authorised so changes nothing.
 */
function judgeLock(r: S3Request, lock: RequestedLock): void {
  const judge = r.deferred?.lock;
  if (!judge) throw new StowageError('E_INTERNAL', 'the Object Lock settings were not authorised');
  judge(lock);
}

/** GetObjectRetention. */
export function getObjectRetention(r: S3Request): void {
  const retention = r.engine.getObjectRetention(lockBucket(r), keyOf(r), param(r, 'versionId'));
  sendXml(r.res, 200, 'Retention', {
    Mode: retention.mode,
    RetainUntilDate: retention.retainUntil.toISOString(),
  });
}

/** PutObjectRetention: an empty `<Retention/>` removes it (GOVERNANCE only, with the bypass). */
export async function putObjectRetention(r: S3Request): Promise<void> {
  const key = keyOf(r);
  const versionId = param(r, 'versionId');
  const text = decodeUtf8(await readSmallBody(r, MAX_BODY));
  const bucket = lockBucket(r);
  requireBodyChecksum(r);
  const retention = parseRetention(text);
  judgeLock(r, {
    ...(retention && { mode: retention.mode, retainUntil: retention.retainUntil.toISOString() }),
  });
  await r.engine.putObjectRetention(bucket, key, retention, {
    ...(versionId !== undefined ? { versionId } : {}),
    bypassGovernance: bypassGovernance(r, key, versionId),
  });
  sendEmpty(r.res, 200);
}

/** GetObjectLegalHold. */
export function getObjectLegalHold(r: S3Request): void {
  const status = r.engine.getObjectLegalHold(lockBucket(r), keyOf(r), param(r, 'versionId'));
  sendXml(r.res, 200, 'LegalHold', { Status: status });
}

/** PutObjectLegalHold. */
export async function putObjectLegalHold(r: S3Request): Promise<void> {
  const text = decodeUtf8(await readSmallBody(r, MAX_BODY));
  const bucket = lockBucket(r);
  requireBodyChecksum(r);
  const status = parseLegalHold(text);
  judgeLock(r, { legalHold: status });
  await r.engine.putObjectLegalHold(bucket, keyOf(r), status, param(r, 'versionId'));
  sendEmpty(r.res, 200);
}
