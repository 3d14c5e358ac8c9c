/**
 * Completed multipart uploads, remembered for a day: S3 answers a CompleteMultipartUpload
 * repeated with the same parts as it answered the first, so an SDK that retries a Complete
 * whose answer was lost (a cut connection, a server killed right after its commit) learns
 * that its object is stored, instead of failing with NoSuchUpload and aborting.
 */
import type { EngineContext } from '../context.js';
import { normalizeEtag } from '../conditions.js';
import type { CompletedPart, PutObjectResult } from '../types.js';
import { latestRow } from './placement.js';

/** How long a completed upload's answer is kept for a retry. */
export const COMPLETED_TTL_MS = 24 * 60 * 60 * 1000;

/** The part list as a comparable string: numbers and ETags, in order. */
function partsKey(list: readonly CompletedPart[]): string {
  return JSON.stringify(list.map((p) => [p.partNumber, normalizeEtag(p.etag)]));
}

/** Records the answer of a Complete, in the commit that completes the upload. */
export function rememberCompleted(
  ctx: EngineContext,
  upload: { bucket: string; key: string; uploadId: string },
  list: readonly CompletedPart[],
  result: PutObjectResult,
): void {
  const now = ctx.now();
  ctx.sql('DELETE FROM completed_uploads WHERE completed_at < ?').run(now - COMPLETED_TTL_MS);
  ctx
    .sql(
      'INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, parts, result, completed_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(upload.uploadId, upload.bucket, upload.key, partsKey(list), JSON.stringify(result), now);
}

/**
 * The answer of an earlier Complete of this upload with the same parts, or undefined (the
 * upload never existed, was aborted, was completed with other parts or too long ago).
 */
export function completedBefore(
  ctx: EngineContext,
  upload: { bucket: string; key: string; uploadId: string },
  list: readonly CompletedPart[],
): PutObjectResult | undefined {
  const row = ctx
    .sql('SELECT * FROM completed_uploads WHERE upload_id = ? AND completed_at >= ?')
    .get(upload.uploadId, ctx.now() - COMPLETED_TTL_MS) as
    { bucket: string; key: string; parts: string; result: string } | undefined;
  if (!row || row.bucket !== upload.bucket || row.key !== upload.key) return undefined;
  if (row.parts !== partsKey(list)) return undefined;
  const result = JSON.parse(row.result) as PutObjectResult;
  // As on S3, only while the object it made is still the key's current version: once
  // deleted or replaced, a repeated Complete is NoSuchUpload, not a 200 for a gone object.
  const current = latestRow(ctx, upload.bucket, upload.key);
  if (
    !current ||
    current.is_delete_marker !== 0 ||
    current.version_id !== result.versionId ||
    current.etag !== result.etag
  )
    return undefined;
  return result;
}

/** Forgets a bucket's completed uploads (the bucket is being deleted). */
export function forgetCompleted(ctx: EngineContext, bucket: string): void {
  ctx.sql('DELETE FROM completed_uploads WHERE bucket = ?').run(bucket);
}
