/** HeadObject and GetObject: version resolution, conditions, ranges and parts. */
import { StowageError } from '../../errors.js';
import { readSegments } from '../blobs/read-blobs.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { checkReadConditions, ifRangeHolds } from '../conditions.js';
import { assertKey } from '../names.js';
import { resolveRange } from '../range.js';
import { restoreOf, segmentsOf, toObjectInfo, type VersionRow } from '../rows.js';
import { restorePhase } from '../restore.js';
import { isArchived } from '../storage-class.js';
import type {
  GetObjectOptions,
  GetObjectResult,
  ObjectHeaders,
  ObjectInfo,
  StorageClass,
} from '../types.js';
import { assertVersionId, latestRow, versionRow } from './placement.js';
import { keysFor } from './encryption.js';

/**
 * The 405 S3 answers for an operation on a delete marker other than DELETE: it says when
 * the marker was made (Last-Modified) and what it allows (DELETE).
 */
export function deleteMarkerNotAllowed(row: VersionRow): StowageError {
  return new StowageError(
    'E_METHOD_NOT_ALLOWED',
    `version "${row.version_id}" of key "${row.key}" is a delete marker`,
    {
      details: {
        bucket: row.bucket,
        key: row.key,
        versionId: row.version_id,
        deleteMarker: true,
        resourceType: 'DeleteMarker',
        lastModified: new Date(row.created_at).toISOString(),
      },
    },
  );
}

/**
 * Finds the version a read addresses. No version id: the latest, which must not be a
 * delete marker (NoSuchKey). A version id: that version (NoSuchVersion); a delete
 * marker there is MethodNotAllowed, as in S3.
 */
export function resolveVersion(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
  forCopy = false,
): VersionRow {
  requireBucket(ctx, bucket);
  assertKey(key);
  if (versionId === undefined) {
    const row = latestRow(ctx, bucket, key);
    if (!row || row.is_delete_marker === 1) {
      throw new StowageError('E_NO_SUCH_KEY', `key "${key}" does not exist in bucket "${bucket}"`, {
        details: { bucket, key, ...(row ? { deleteMarker: true, versionId: row.version_id } : {}) },
      });
    }
    return row;
  }
  assertVersionId(versionId);
  const row = versionRow(ctx, bucket, key, versionId);
  if (!row) {
    throw new StowageError(
      'E_NO_SUCH_VERSION',
      `version "${versionId}" of key "${key}" does not exist`,
      {
        details: { bucket, key, versionId },
      },
    );
  }
  if (row.is_delete_marker === 1) {
    if (forCopy) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `The source of a copy request may not specifically refer to a delete marker by version id (version "${versionId}" of key "${key}")`,
      );
    }
    throw deleteMarkerNotAllowed(row);
  }
  return row;
}

/** Throws InvalidObjectState unless an archived object has a completed, unexpired restore. */
export function assertReadable(ctx: EngineContext, row: VersionRow): void {
  if (!isArchived(row.storage_class as StorageClass)) return;
  if (restorePhase(restoreOf(row), ctx.now()) === 'restored') return;
  throw new StowageError(
    'E_INVALID_OBJECT_STATE',
    `object "${row.key}" is in ${row.storage_class}: restore it before reading`,
    { details: { bucket: row.bucket, key: row.key, storageClass: row.storage_class } },
  );
}

/**
 * The arguments of a read that need no object: checked before the key is looked up or a
 * condition evaluated, as S3 refuses a bad request as such (a `partNumber=0` of a missing
 * key is 400, not 404).
 */
function checkReadArguments(options: GetObjectOptions): void {
  const { partNumber } = options;
  if (partNumber === undefined) return;
  if (options.range !== undefined) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'a read cannot ask for both a Range and a partNumber',
    );
  }
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `partNumber must be an integer from 1 to 10000, got ${partNumber}`,
      { details: { argumentName: 'partNumber', argumentValue: String(partNumber) } },
    );
  }
}

/** Inclusive byte offsets of part `partNumber` (1 to 10000) of a version. */
function partRange(row: VersionRow, partNumber: number): { start: number; end: number } {
  const sizes = JSON.parse(row.part_sizes) as number[];
  // S3's InvalidPartNumber names the part asked for and how many the object has.
  const details = { partNumberRequested: partNumber, actualPartCount: Math.max(sizes.length, 1) };
  if (sizes.length === 0) {
    if (partNumber !== 1)
      throw new StowageError('E_INVALID_PART_NUMBER', `the object has no part ${partNumber}`, {
        details,
      });
    return { start: 0, end: row.size - 1 };
  }
  if (partNumber > sizes.length) {
    throw new StowageError(
      'E_INVALID_PART_NUMBER',
      `the object has ${sizes.length} parts, not ${partNumber}`,
      { details },
    );
  }
  let start = 0;
  for (let i = 0; i < partNumber - 1; i++) start += sizes[i]!;
  return { start, end: start + sizes[partNumber - 1]! - 1 };
}

/**
 * HeadObject. Archived objects can be headed without a restore. A Range or partNumber is
 * checked as a GET would check it, and the bytes it would cover are returned as `range`.
 */
export function headObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: GetObjectOptions = {},
): ObjectInfo & { range?: { start: number; end: number } } {
  checkReadArguments(options);
  const row = resolveVersion(ctx, bucket, key, options.versionId);
  const info = toObjectInfo(row, ctx.now());
  keysFor(ctx, info.encryption, options.customerKey, 'object');
  checkReadConditions(options.conditions, row.etag, new Date(row.created_at), false, () =>
    cacheHeadersOf(row),
  );
  const range = rangeOf(row, options);
  return range ? { ...info, range } : info;
}

/** Cache-Control and Expires of a version, which a 304 repeats. */
function cacheHeadersOf(row: VersionRow): { cacheControl?: string; expires?: string } {
  const { cacheControl, expires } = JSON.parse(row.headers) as ObjectHeaders;
  return { ...(cacheControl && { cacheControl }), ...(expires && { expires }) };
}

/** The bytes a read asks for: a part, a Range, or undefined for the whole object. */
function rangeOf(
  row: VersionRow,
  options: GetObjectOptions,
): { start: number; end: number } | undefined {
  if (options.partNumber === undefined) {
    // A range of bytes the client no longer has the rest of is no use: the whole object.
    if (
      options.ifRange !== undefined &&
      !ifRangeHolds(options.ifRange, row.etag, new Date(row.created_at))
    ) {
      return undefined;
    }
    return resolveRange(options.range, row.size);
  }
  const part = partRange(row, options.partNumber);
  // Part 1 of an empty object is the whole of it: no range to state (`bytes 0--1/0`). An
  // empty part of an object that has bytes (a last part of 0 bytes) is an empty range.
  return part.end < part.start && row.size === 0 ? undefined : part;
}

/**
 * GetObject. The version is resolved and its blobs leased in one synchronous step, so a
 * concurrent overwrite or delete cannot remove the bytes this read streams.
 */
export function getObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: GetObjectOptions = {},
): GetObjectResult {
  checkReadArguments(options);
  const row = resolveVersion(ctx, bucket, key, options.versionId);
  // Parsed once: the info's encryption is the setting the key is checked against.
  const info = toObjectInfo(row, ctx.now());
  const keys = keysFor(ctx, info.encryption, options.customerKey, 'object');
  checkReadConditions(options.conditions, row.etag, new Date(row.created_at), false, () =>
    cacheHeadersOf(row),
  );
  assertReadable(ctx, row);
  const range = rangeOf(row, options);
  const start = range?.start ?? 0;
  const end = range?.end ?? row.size - 1;
  const segments = segmentsOf(row);
  const release = ctx.blobs.acquire(segments.map((s) => s.b));
  ctx.touch(row.id);
  return {
    info,
    ...(range ? { range } : {}),
    contentLength: Math.max(0, end - start + 1),
    body: readSegments(ctx.blobs, segments, start, end, release, keys),
  };
}

/**
 * The version a change of an object's ACL or tags (and a read of its tags) addresses. S3
 * answers 405 for a key whose latest version is a delete marker, where a read of the object
 * is 404.
 */
export function versionToChange(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId: string | undefined,
): VersionRow {
  if (versionId === undefined) {
    const latest = latestRow(ctx, bucket, key);
    if (latest?.is_delete_marker === 1) throw deleteMarkerNotAllowed(latest);
    if (latest) return latest;
  }
  // A version by id, or no latest one: resolveVersion gives the errors (NoSuchBucket …).
  return resolveVersion(ctx, bucket, key, versionId);
}
