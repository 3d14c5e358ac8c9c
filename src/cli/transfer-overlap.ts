/**
 * Runs whose source and destination are the same objects. S3 allows a CopyObject of an
 * object onto itself when a property changes (`--metadata`, `--storage-class` …), so
 * `mv s3://b/k s3://b/k --metadata a=b` would copy the object onto itself and then delete
 * the source, which is now the object. aws-cli refuses that ("Cannot mv a file onto
 * itself"); so does stowage, before any request.
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

const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

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
