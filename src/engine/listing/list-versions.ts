/** ListObjectVersions: every version and delete marker, by key, newest first. */
import { StowageError } from '../../errors.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { assertVersionId } from '../objects/placement.js';
import { toObjectInfo, type VersionRow } from '../rows.js';
import type { ListVersionsOptions, ListVersionsResult } from '../types.js';
import { pageSize, scanEntries, takePage, type Position, type ScanSource } from './scan.js';

function allVersions(ctx: EngineContext, bucket: string): ScanSource<VersionRow> {
  const sameKey = ctx.sql(
    'SELECT * FROM versions WHERE bucket = ? AND key = ? AND id < ? ORDER BY id DESC LIMIT ?',
  );
  const later = {
    incl: ctx.sql(
      'SELECT * FROM versions WHERE bucket = ? AND key >= ? ORDER BY key, id DESC LIMIT ?',
    ),
    excl: ctx.sql(
      'SELECT * FROM versions WHERE bucket = ? AND key > ? ORDER BY key, id DESC LIMIT ?',
    ),
    inclUpper: ctx.sql(
      'SELECT * FROM versions WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key, id DESC LIMIT ?',
    ),
    exclUpper: ctx.sql(
      'SELECT * FROM versions WHERE bucket = ? AND key > ? AND key < ? ORDER BY key, id DESC LIMIT ?',
    ),
  };
  return {
    fetch(from: Position, upper: string | undefined, limit: number): VersionRow[] {
      const rows: VersionRow[] = [];
      if (from.afterSeq !== undefined) {
        rows.push(...(sameKey.all(bucket, from.key, from.afterSeq, limit) as VersionRow[]));
        if (rows.length >= limit) return rows;
      }
      const n = limit - rows.length;
      const more =
        upper === undefined
          ? (from.inclusive ? later.incl : later.excl).all(bucket, from.key, n)
          : (from.inclusive ? later.inclUpper : later.exclUpper).all(bucket, from.key, upper, n);
      rows.push(...(more as VersionRow[]));
      return rows;
    },
    keyOf: (r) => r.key,
    seqOf: (r) => r.id,
  };
}

/** Lists one page of versions. Markers follow S3: key-marker alone skips that key entirely. */
export function listObjectVersions(
  ctx: EngineContext,
  bucket: string,
  options: ListVersionsOptions = {},
): ListVersionsResult {
  requireBucket(ctx, bucket);
  const max = pageSize(options.maxKeys, 'max-keys');
  let from: Position | undefined;
  if (options.versionIdMarker === '') {
    // S3's answer (recorded by gofakes3, S300004): an empty one is not "no marker".
    throw new StowageError('E_INVALID_ARGUMENT', 'A version-id marker cannot be empty.', {
      details: { argumentName: 'version-id-marker', argumentValue: '' },
    });
  }
  if (options.keyMarker !== undefined && options.keyMarker !== '') {
    from = { key: options.keyMarker, inclusive: false };
    if (options.versionIdMarker) {
      assertVersionId(options.versionIdMarker);
      // A marker version deleted since the last page (the usual "list a page, delete it,
      // list the next" loop) is found where it stood (version_gaps), and the listing goes
      // on right after it, as on S3. One whose place is no longer known: the key's versions
      // from its newest, so that none is skipped.
      const row = (ctx
        .sql('SELECT id FROM versions WHERE bucket = ? AND key = ? AND version_id = ?')
        .get(bucket, options.keyMarker, options.versionIdMarker) ??
        ctx
          .sql('SELECT seq AS id FROM version_gaps WHERE bucket = ? AND key = ? AND version_id = ?')
          .get(bucket, options.keyMarker, options.versionIdMarker)) as { id: number } | undefined;
      from = row ? { ...from, afterSeq: row.id } : { key: options.keyMarker, inclusive: true };
    }
  } else if (options.versionIdMarker) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      'A version-id marker cannot be specified without a key marker.',
      {
        details: { argumentName: 'version-id-marker', argumentValue: options.versionIdMarker },
      },
    );
  }
  const src = allVersions(ctx, bucket);
  const page = takePage(
    src,
    scanEntries(src, { prefix: options.prefix ?? '', delimiter: options.delimiter, from }),
    max,
  );
  const now = ctx.now();
  const last = page.entries[page.entries.length - 1];
  const next =
    page.next && last
      ? last.kind === 'prefix'
        ? { nextKeyMarker: last.prefix }
        : { nextKeyMarker: last.row.key, nextVersionIdMarker: last.row.version_id }
      : {};
  return {
    versions: page.entries.flatMap((e) => (e.kind === 'row' ? [toObjectInfo(e.row, now)] : [])),
    commonPrefixes: page.entries.flatMap((e) => (e.kind === 'prefix' ? [e.prefix] : [])),
    isTruncated: page.next !== undefined,
    ...next,
  };
}
