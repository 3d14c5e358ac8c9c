/** What a copy needs to know about its source object (one HEAD). */
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { translateS3Error } from '../client/index.js';
import { isStowageError, StowageError } from '../errors.js';
import type { Pacer } from './pacer.js';
import { withRetry } from './retry.js';
import { taggingHeader } from './validate.js';

/** A copy's source. */
export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

/** The source object's size, ETag and the headers a copy carries over. */
export interface SourceInfo {
  sizeBytes: number;
  /** As the store returned it, with quotes (for If-Match). */
  etag: string;
  versionId?: string;
  metadata: Record<string, string>;
  /** Content-Type, Cache-Control … as PutObject/CreateMultipartUpload fields. */
  headers: Record<string, string | Date>;
}

/**
 * One HeadObject with retries; a 404 that is the bucket's is told as NoSuchBucket
 * ({@link explainNotFound}). What downloads and copies ask first.
 */
export function headWithRetry(
  client: S3Client,
  pacer: Pacer,
  target: CopySource,
  /** `attempts` as withRetry takes it (its default when undefined). */
  o: { attempts?: number; signal?: AbortSignal; what: string },
): Promise<HeadObjectCommandOutput> {
  return withRetry(
    pacer,
    () =>
      client.send(
        new HeadObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          ...(target.versionId ? { VersionId: target.versionId } : {}),
        }),
        { abortSignal: o.signal },
      ),
    { attempts: o.attempts, signal: o.signal, target, what: o.what },
  ).catch(async (err: unknown) => {
    throw await explainDenied(
      client,
      target,
      await explainNotFound(client, pacer, target.bucket, err),
    );
  });
}

/**
 * A HEAD answer has no body, so a 403 says only "denied": a wrong secret key
 * (SignatureDoesNotMatch) and a missing permission look alike. One GET of the first byte
 * (not retried) brings the store's own code; when it names another cause than AccessDenied,
 * that error is the one reported. Anything else leaves the HEAD's error as it was.
 */
async function explainDenied(client: S3Client, target: CopySource, err: unknown): Promise<unknown> {
  if (!isStowageError(err, 'E_ACCESS_DENIED')) return err;
  try {
    const res = await client.send(
      new GetObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Range: 'bytes=0-0',
        ...(target.versionId ? { VersionId: target.versionId } : {}),
      }),
    );
    (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
    return err;
  } catch (getErr) {
    const e = translateS3Error(getErr, { bucket: target.bucket, key: target.key });
    const named = e.code === 'E_SIGNATURE_DOES_NOT_MATCH' || e.code === 'E_INVALID_ACCESS_KEY_ID';
    return named ? e : err;
  }
}

/** HEADs the source with retries. */
export async function headSource(
  client: S3Client,
  pacer: Pacer,
  src: CopySource,
  attempts: number,
  signal?: AbortSignal,
): Promise<SourceInfo> {
  const h = await headWithRetry(client, pacer, src, {
    attempts,
    signal,
    what: `reading s3://${src.bucket}/${src.key}`,
  });
  const headers: Record<string, string | Date> = {};
  if (h.ContentType) headers.ContentType = h.ContentType;
  if (h.CacheControl) headers.CacheControl = h.CacheControl;
  if (h.ContentDisposition) headers.ContentDisposition = h.ContentDisposition;
  if (h.ContentEncoding) headers.ContentEncoding = h.ContentEncoding;
  if (h.ContentLanguage) headers.ContentLanguage = h.ContentLanguage;
  if (h.Expires) headers.Expires = h.Expires;
  return {
    sizeBytes: h.ContentLength ?? 0,
    etag: h.ETag ?? '',
    ...(h.VersionId ? { versionId: h.VersionId } : {}),
    metadata: h.Metadata ?? {},
    headers,
  };
}

/** The source's tags as a `Tagging` header value, or undefined when it has none. */
export async function sourceTagging(
  client: S3Client,
  pacer: Pacer,
  src: CopySource,
  attempts: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const res = await withRetry(
    pacer,
    () =>
      client.send(
        new GetObjectTaggingCommand({
          Bucket: src.bucket,
          Key: src.key,
          ...(src.versionId ? { VersionId: src.versionId } : {}),
        }),
        { abortSignal: signal },
      ),
    { attempts, signal, target: src, what: `reading the tags of s3://${src.bucket}/${src.key}` },
  );
  return taggingHeader(
    Object.fromEntries((res.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  );
}

/**
 * A HEAD's 404 has no body, so it cannot say whether the key or the bucket is missing;
 * on E_NO_SUCH_KEY this asks the bucket (one extra request, on the failure path only)
 * and returns E_NO_SUCH_BUCKET when that is the truth. Returns `err` otherwise.
 */
export async function explainNotFound(
  client: S3Client,
  pacer: Pacer,
  bucket: string,
  err: unknown,
): Promise<unknown> {
  if (!isStowageError(err, 'E_NO_SUCH_KEY')) return err;
  try {
    await withRetry(pacer, () => client.send(new HeadBucketCommand({ Bucket: bucket })), {
      attempts: 3,
      target: { bucket },
      what: `checking bucket ${bucket}`,
    });
    return err;
  } catch (bucketErr) {
    if (!isStowageError(bucketErr, 'E_NO_SUCH_BUCKET')) return err;
    const what = err.message.replace(/ failed: .*$/, '');
    return new StowageError('E_NO_SUCH_BUCKET', `${what} failed: bucket ${bucket} does not exist`, {
      cause: err,
      details: { ...err.details, bucket },
      s3Code: 'NoSuchBucket',
    });
  }
}
