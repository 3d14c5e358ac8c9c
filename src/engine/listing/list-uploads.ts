/** ListMultipartUploads: uploads in progress by key, oldest first within a key. */
import { StowageError } from '../../errors.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { toUploadInfo } from '../objects/multipart/index.js';
import { isUploadIdForm } from '../objects/multipart/upload-ids.js';
import type { ListUploadsOptions, ListUploadsResult } from '../types.js';
import { pageSize, scanEntries, takePage, type Position, type ScanSource } from './scan.js';

type UploadRow = Parameters<typeof toUploadInfo>[0] & { rowid: number };

function uploadsSource(ctx: EngineContext, bucket: string): ScanSource<UploadRow> {
  const cols = 'rowid, *';
  const sameKey = ctx.sql(
    `SELECT ${cols} FROM uploads WHERE bucket = ? AND key = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
  );
  const incl = ctx.sql(
    `SELECT ${cols} FROM uploads WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key, rowid LIMIT ?`,
  );
  const excl = ctx.sql(
    `SELECT ${cols} FROM uploads WHERE bucket = ? AND key > ? AND key < ? ORDER BY key, rowid LIMIT ?`,
  );
  // Keys are at most 1024 bytes of UTF-8, so this bound is above every key.
  const top = String.fromCodePoint(0x10ffff).repeat(1025);
  return {
    fetch(from: Position, upper: string | undefined, limit: number): UploadRow[] {
      const rows: UploadRow[] = [];
      if (from.afterSeq !== undefined)
        rows.push(...(sameKey.all(bucket, from.key, from.afterSeq, limit) as UploadRow[]));
      if (rows.length >= limit) return rows;
      const q = from.inclusive ? incl : excl;
      rows.push(...(q.all(bucket, from.key, upper ?? top, limit - rows.length) as UploadRow[]));
      return rows;
    },
    keyOf: (r) => r.key,
    seqOf: (r) => r.rowid,
  };
}

/**
 * Where a listing resumes within the key marker's uploads: after the marker upload, or,
 * when that upload is gone (completed or aborted since the last page, as a loop that aborts
 * what it lists does), after the uploads whose IDs sort before the marker. IDs sort as
 * their uploads were initiated.
 */
function uploadMarkerSeq(ctx: EngineContext, bucket: string, key: string, marker: string): number {
  const exact = ctx
    .sql('SELECT rowid FROM uploads WHERE bucket = ? AND key = ? AND upload_id = ?')
    .get(bucket, key, marker) as { rowid: number } | undefined;
  if (exact) return exact.rowid;
  // S3 refuses a marker that names an upload in progress for another key.
  const elsewhere = ctx
    .sql('SELECT 1 FROM uploads WHERE bucket = ? AND upload_id = ? LIMIT 1')
    .get(bucket, marker);
  if (elsewhere) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `the upload-id-marker ${JSON.stringify(marker)} is an upload of another key, not of the key-marker ${JSON.stringify(key)}`,
      {
        details: { argumentName: 'upload-id-marker', argumentValue: marker },
      },
    );
  }
  // Gone or never made: S3 refuses a marker that is not an upload ID at all.
  if (!isUploadIdForm(marker)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `Invalid uploadId marker: ${JSON.stringify(marker)} is not an upload ID`,
      { details: { argumentName: 'upload-id-marker', argumentValue: marker } },
    );
  }
  const before = ctx
    .sql('SELECT max(rowid) AS seq FROM uploads WHERE bucket = ? AND key = ? AND upload_id < ?')
    .get(bucket, key, marker) as { seq: number | null };
  return before.seq ?? 0;
}

/** Lists one page of multipart uploads in progress. */
export function listMultipartUploads(
  ctx: EngineContext,
  bucket: string,
  options: ListUploadsOptions = {},
): ListUploadsResult {
  requireBucket(ctx, bucket);
  const max = pageSize(options.maxUploads, 'max-uploads');
  let from: Position | undefined;
  if (options.keyMarker) {
    from = { key: options.keyMarker, inclusive: false };
    if (options.uploadIdMarker) {
      from.afterSeq = uploadMarkerSeq(ctx, bucket, options.keyMarker, options.uploadIdMarker);
    }
  }
  const src = uploadsSource(ctx, bucket);
  const page = takePage(
    src,
    scanEntries(src, { prefix: options.prefix ?? '', delimiter: options.delimiter, from }),
    max,
  );
  const last = page.entries[page.entries.length - 1];
  const next =
    page.next && last
      ? last.kind === 'prefix'
        ? { nextKeyMarker: last.prefix }
        : { nextKeyMarker: last.row.key, nextUploadIdMarker: last.row.upload_id }
      : {};
  return {
    uploads: page.entries.flatMap((e) => (e.kind === 'row' ? [toUploadInfo(e.row)] : [])),
    commonPrefixes: page.entries.flatMap((e) => (e.kind === 'prefix' ? [e.prefix] : [])),
    isTruncated: page.next !== undefined,
    ...next,
  };
}
