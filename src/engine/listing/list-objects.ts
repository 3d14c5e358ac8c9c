/** ListObjects (V1 and V2) over the current, non-deleted version of each key. */
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { toObjectInfo, type VersionRow } from '../rows.js';
import type { ListObjectsOptions, ListObjectsResult } from '../types.js';
import {
  decodeToken,
  encodeToken,
  pageSize,
  scanEntries,
  takePage,
  type Position,
  type ScanSource,
} from './scan.js';

function currentObjects(ctx: EngineContext, bucket: string): ScanSource<VersionRow> {
  const base = 'SELECT * FROM versions WHERE bucket = ? AND is_latest = 1 AND is_delete_marker = 0';
  const q = {
    incl: ctx.sql(`${base} AND key >= ? ORDER BY key LIMIT ?`),
    excl: ctx.sql(`${base} AND key > ? ORDER BY key LIMIT ?`),
    inclUpper: ctx.sql(`${base} AND key >= ? AND key < ? ORDER BY key LIMIT ?`),
    exclUpper: ctx.sql(`${base} AND key > ? AND key < ? ORDER BY key LIMIT ?`),
  };
  return {
    fetch(from: Position, upper: string | undefined, limit: number): VersionRow[] {
      if (upper === undefined)
        return (from.inclusive ? q.incl : q.excl).all(bucket, from.key, limit) as VersionRow[];
      return (from.inclusive ? q.inclUpper : q.exclUpper).all(
        bucket,
        from.key,
        upper,
        limit,
      ) as VersionRow[];
    },
    keyOf: (r) => r.key,
    seqOf: (r) => r.id,
  };
}

/**
 * Lists one page of objects. `continuationToken` (V2) wins over `startAfter`
 * (V2 StartAfter, V1 Marker), as in S3.
 */
export function listObjects(
  ctx: EngineContext,
  bucket: string,
  options: ListObjectsOptions = {},
): ListObjectsResult {
  requireBucket(ctx, bucket);
  const max = pageSize(options.maxKeys, 'max-keys');
  const prefix = options.prefix ?? '';
  const from: Position | undefined = options.continuationToken
    ? decodeToken(options.continuationToken)
    : options.startAfter
      ? { key: options.startAfter, inclusive: false }
      : undefined;
  const src = currentObjects(ctx, bucket);
  const page = takePage(src, scanEntries(src, { prefix, delimiter: options.delimiter, from }), max);
  const now = ctx.now();
  const objects = page.entries.flatMap((e) => (e.kind === 'row' ? [toObjectInfo(e.row, now)] : []));
  const commonPrefixes = page.entries.flatMap((e) => (e.kind === 'prefix' ? [e.prefix] : []));
  const last = page.entries[page.entries.length - 1];
  return {
    objects,
    commonPrefixes,
    isTruncated: page.next !== undefined,
    ...(page.next ? { nextContinuationToken: encodeToken(page.next) } : {}),
    ...(page.next && last
      ? { nextMarker: last.kind === 'prefix' ? last.prefix : last.row.key }
      : {}),
  };
}
