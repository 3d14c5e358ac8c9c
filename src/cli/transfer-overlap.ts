/**
 * Runs whose source and destination are the same objects. S3 allows a CopyObject of an
 * object onto itself when a property changes (`--metadata`, `--storage-class` …), so
 * `mv s3://b/k s3://b/k --metadata a=b` would copy the object onto itself and then delete
 * the source, which is now the object. aws-cli refuses that ("Cannot mv a file onto
 * itself"); so does stowage, before any request.
 *
 * Overlapping prefixes of one bucket are the same danger spread over a tree:
 * `sync s3://b/P/sub s3://b/P --delete` finds `sub/…` at the destination, which the source
 * (keys relative to `P/sub/`) does not have, and deletes its own source; `mv --recursive`
 * between such prefixes can copy one source object onto another before moving it. rclone
 * refuses both ("can't sync or move files on overlapping remotes"); so does stowage.
 */
import type { S3Location } from '../client/index.js';
import { StowageError } from '../errors.js';
import type { Ends } from './transfer-args.js';

/** `dir` → `dir/`: a recursive run treats a key as a "directory", as aws-cli does. */
export function dirPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** The key a single cp/mv writes: a destination ending in '/' takes the source's name. */
export function singleDestKey(dst: S3Location, name: string): string {
  return dst.key === '' || dst.key.endsWith('/') ? dst.key + name : dst.key;
}

/** The last segment of a key: the name a download or a copy into a "directory" takes. */
export const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** Two prefixes ('' or ending in '/') overlap when one holds the other. */
const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);

/**
 * Refuses `mv` of an object (or, with `--recursive`, of a prefix) onto itself. `sameStore`
 * is false when `--source-store` reads the source from another store: the two URLs then
 * name different objects.
 *
 * @throws StowageError `E_USAGE` naming both URLs.
 * @example
 * refuseMoveOntoItself(ends, { recursive: o.recursive === true, sameStore: !sourceSession });
 */
export function refuseMoveOntoItself(
  ends: Ends,
  o: { recursive: boolean; sameStore: boolean },
): void {
  const { src, dst } = ends;
  if (src.kind !== 's3' || dst.kind !== 's3' || !o.sameStore || src.bucket !== dst.bucket) return;
  const same = o.recursive
    ? dirPrefix(src.key) === dirPrefix(dst.key)
    : singleDestKey(dst, baseName(src.key)) === src.key;
  if (!same) return;
  const what = o.recursive
    ? `s3://${src.bucket}/${dirPrefix(src.key)}`
    : `s3://${src.bucket}/${src.key}`;
  throw new StowageError(
    'E_USAGE',
    `cannot mv ${what} onto itself: the copy would replace the source and the delete would then remove it; to change its properties use cp (or set-class)`,
    { details: { source: ends.srcText, destination: ends.dstText } },
  );
}

/**
 * Refuses `sync --delete` and `mv --recursive` between overlapping prefixes (one holds the
 * other, or they are equal) of one bucket on one store. Call it after
 * {@link refuseMoveOntoItself}, whose message is the plainer one for equal prefixes.
 *
 * @throws StowageError `E_USAGE` naming both prefixes.
 * @example
 * if (o.delete) refuseOverlap(ends, { what: 'sync --delete', sameStore: !sourceSession });
 */
export function refuseOverlap(ends: Ends, o: { what: string; sameStore: boolean }): void {
  const { src, dst } = ends;
  if (src.kind !== 's3' || dst.kind !== 's3' || !o.sameStore || src.bucket !== dst.bucket) return;
  const a = dirPrefix(src.key);
  const b = dirPrefix(dst.key);
  if (!overlap(a, b)) return;
  throw new StowageError(
    'E_USAGE',
    `${o.what}: s3://${src.bucket}/${a} and s3://${dst.bucket}/${b} overlap (one holds the other), so the run would delete or overwrite its own source; use a destination outside the source prefix`,
    { details: { source: ends.srcText, destination: ends.dstText } },
  );
}
