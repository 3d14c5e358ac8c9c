/**
 * Creating, deleting and emptying buckets. Emptying removes every version and delete
 * marker (a versioned bucket is not empty until they are gone) and aborts unfinished
 * multipart uploads, in DeleteObjects batches of 1,000, reporting each key.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { StowageError, toStowageError } from '../../errors.js';
import { translateS3Error } from '../errors.js';
import { splitByXml } from '../xml-text.js';
import { listVersionPage, type VersionEntry, type VersionMarker } from './list.js';
import { call, type ItemResult, type StoreSession } from './session.js';

/** S3's most keys per DeleteObjects request. */
export const DELETE_BATCH_SIZE = 1000;

/**
 * Creates a bucket. Outside us-east-1, S3 wants the region as LocationConstraint (and
 * refuses one that names us-east-1).
 *
 * @throws StowageError `E_BUCKET_ALREADY_OWNED_BY_YOU`, `E_BUCKET_ALREADY_EXISTS`,
 *   `E_INVALID_BUCKET_NAME` …
 */
export async function createBucket(
  session: StoreSession,
  options: { bucket: string; region?: string; objectLock?: boolean },
): Promise<void> {
  const { bucket, region, objectLock } = options;
  const constraint =
    region && region !== 'us-east-1'
      ? { LocationConstraint: region as BucketLocationConstraint }
      : undefined;
  await call(session, { bucket }, () =>
    session.s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: constraint,
        ...(objectLock ? { ObjectLockEnabledForBucket: true } : {}),
      }),
    ),
  );
}

/**
 * The region a bucket is in. S3 reports us-east-1 as an empty constraint and eu-west-1 as
 * the legacy `EU`; both are returned as region names.
 *
 * @throws StowageError `E_NO_SUCH_BUCKET` …
 */
export async function bucketRegion(session: StoreSession, bucket: string): Promise<string> {
  const out = await call(session, { bucket }, () =>
    session.s3.send(new GetBucketLocationCommand({ Bucket: bucket })),
  );
  const constraint = out.LocationConstraint as string | undefined;
  if (!constraint) return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : constraint;
}

/** True when `bucket` exists (and the caller may see it); false on NoSuchBucket / 404. */
export async function bucketExists(session: StoreSession, bucket: string): Promise<boolean> {
  try {
    await call(session, { bucket }, () =>
      session.s3.send(new HeadBucketCommand({ Bucket: bucket })),
    );
    return true;
  } catch (err) {
    if (err instanceof StowageError && err.code === 'E_NO_SUCH_BUCKET') return false;
    throw err;
  }
}

/**
 * Deletes an empty bucket.
 *
 * @throws StowageError `E_BUCKET_NOT_EMPTY` (with a hint at `rb --force`), `E_NO_SUCH_BUCKET` …
 */
export async function deleteBucket(session: StoreSession, bucket: string): Promise<void> {
  try {
    await call(session, { bucket }, () =>
      session.s3.send(new DeleteBucketCommand({ Bucket: bucket })),
    );
  } catch (err) {
    if (err instanceof StowageError && err.code === 'E_BUCKET_NOT_EMPTY') {
      throw new StowageError(
        'E_BUCKET_NOT_EMPTY',
        `s3://${bucket}/ is not empty (objects, versions or delete markers remain): delete them first, or use rb --force`,
        { cause: err, details: err.details },
      );
    }
    throw err;
  }
}

/** One deleted (or not) version, delete marker or unfinished upload of {@link emptyBucket}. */
export interface EmptiedItem {
  key: string;
  versionId?: string;
  deleteMarker?: boolean;
  /** Set for an aborted multipart upload. */
  uploadId?: string;
}

/**
 * Deletes every version, delete marker and unfinished multipart upload of a bucket,
 * yielding one result per item. A key that cannot be deleted is reported and the rest
 * go on (a version Object Lock protects is refused, AccessDenied); a failed listing ends
 * the iteration with its error. `bypassGovernanceRetention` lifts GOVERNANCE retention for
 * a caller allowed s3:BypassGovernanceRetention (never COMPLIANCE, nor a legal hold).
 *
 * @example
 * for await (const r of emptyBucket(session, 'scratch')) if (!r.ok) console.error(r.key, r.error.message);
 */
export async function* emptyBucket(
  session: StoreSession,
  bucket: string,
  options: { pageSize?: number; bypassGovernanceRetention?: boolean } = {},
): AsyncGenerator<ItemResult<EmptiedItem>> {
  const bypass = options.bypassGovernanceRetention === true;
  const pageSize = Math.min(options.pageSize ?? DELETE_BATCH_SIZE, DELETE_BATCH_SIZE);
  // A listing marker must name a version that still exists (stowage serve refuses one
  // that does not), so after deleting a page the next page starts after the last version
  // of it that could not be deleted, or where this page started when all of them were.
  let marker: VersionMarker = {};
  for (;;) {
    const page = await listVersionPage(session, { bucket, ...marker, pageSize });
    let lastFailed: VersionEntry | undefined;
    let lastWasFailure = false;
    if (page.entries.length > 0) {
      const failed = new Set<VersionEntry>();
      for await (const r of deleteBatch(session, bucket, page.entries, failed, bypass)) yield r;
      lastFailed = page.entries.findLast((v) => failed.has(v));
      lastWasFailure = failed.has(page.entries[page.entries.length - 1]!);
    }
    if (!page.isTruncated || page.nextKeyMarker === undefined) break;
    if (lastWasFailure) {
      marker = { keyMarker: page.nextKeyMarker, versionIdMarker: page.nextVersionIdMarker };
    } else if (lastFailed) {
      marker = { keyMarker: lastFailed.key, versionIdMarker: lastFailed.versionId };
    }
  }
  yield* abortUploads(session, bucket);
}

async function* deleteBatch(
  session: StoreSession,
  bucket: string,
  entries: VersionEntry[],
  failed: Set<VersionEntry>,
  bypassGovernanceRetention: boolean,
): AsyncGenerator<ItemResult<EmptiedItem>> {
  const item = (v: VersionEntry): EmptiedItem => ({
    key: v.key,
    versionId: v.versionId,
    ...(v.deleteMarker ? { deleteMarker: true } : {}),
  });
  // Keys XML cannot carry would fail the whole DeleteObjects (MalformedXML): one by one.
  const [batch, alone] = splitByXml(entries, (e) => e.key);
  for (const v of alone) {
    try {
      await call(session, { bucket, key: v.key }, () =>
        session.s3.send(
          new DeleteObjectCommand({
            Bucket: bucket,
            Key: v.key,
            VersionId: v.versionId,
            ...(bypassGovernanceRetention ? { BypassGovernanceRetention: true } : {}),
          }),
        ),
      );
      yield { ok: true, ...item(v) };
    } catch (err) {
      failed.add(v);
      yield { ok: false, error: toStowageError(err), ...item(v) };
    }
  }
  if (batch.length === 0) return;
  let out;
  try {
    out = await session.s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: {
          Objects: batch.map((v) => ({ Key: v.key, VersionId: v.versionId })),
          Quiet: false,
        },
        ...(bypassGovernanceRetention ? { BypassGovernanceRetention: true } : {}),
      }),
    );
  } catch (err) {
    const error = translateS3Error(err, { bucket, store: session.store });
    for (const v of batch) {
      failed.add(v);
      yield { ok: false, error, ...item(v) };
    }
    return;
  }
  const errors = new Map<string, { Code?: string; Message?: string }>();
  for (const e of out.Errors ?? []) errors.set(`${e.Key}\0${e.VersionId ?? 'null'}`, e);
  for (const v of batch) {
    const e = errors.get(`${v.key}\0${v.versionId}`);
    if (!e) {
      yield { ok: true, ...item(v) };
      continue;
    }
    const error = translateS3Error(
      Object.assign(new Error(e.Message ?? e.Code ?? 'delete failed'), { name: e.Code ?? 'Error' }),
      { bucket, key: v.key, store: session.store },
    );
    failed.add(v);
    yield { ok: false, error, ...item(v) };
  }
}

async function* abortUploads(
  session: StoreSession,
  bucket: string,
): AsyncGenerator<ItemResult<EmptiedItem>> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await call(session, { bucket }, () =>
      session.s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      ),
    );
    for (const u of page.Uploads ?? []) {
      const key = u.Key ?? '';
      const uploadId = u.UploadId ?? '';
      try {
        await call(session, { bucket, key }, () =>
          session.s3.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
          ),
        );
        yield { ok: true, key, uploadId };
      } catch (err) {
        yield { ok: false, error: err as StowageError, key, uploadId };
      }
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (!keyMarker && !uploadIdMarker) return;
  }
}
