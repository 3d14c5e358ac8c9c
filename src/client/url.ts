/**
 * `s3://bucket/key` URLs as aws-cli writes them, and telling them from local paths. Keys are
 * taken literally (no percent-decoding), as aws-cli does, so `s3://b/a%20b` is the key `a%20b`.
 */
import { bucketNameProblem } from '../bucket-names.js';
import { StowageError } from '../errors.js';

/** An object or prefix in a store. `key` is '' for the whole bucket. */
export interface S3Location {
  kind: 's3';
  bucket: string;
  key: string;
}

/** A file or directory on this machine. */
export interface LocalLocation {
  kind: 'local';
  path: string;
}

/** Where a command reads or writes: a store or the local disk. */
export type Location = S3Location | LocalLocation;

/** S3's key limit: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

export { bucketNameProblem };

function usage(
  url: string,
  problem: string,
  code: 'E_USAGE' | 'E_INVALID_BUCKET_NAME' | 'E_KEY_TOO_LONG' = 'E_USAGE',
): StowageError {
  return new StowageError(code, `invalid S3 URL "${url}": ${problem}`, { details: { url } });
}

/**
 * Parses `s3://bucket[/key]`.
 *
 * @throws StowageError `E_USAGE` for a malformed URL (`s3:/x`, `s3://`, `s3:///key`),
 *   `E_INVALID_BUCKET_NAME` or `E_KEY_TOO_LONG`; every message names the URL.
 * @example
 * parseS3Url('s3://assets/products/soap.png'); // { kind: 's3', bucket: 'assets', key: 'products/soap.png' }
 */
export function parseS3Url(url: string): S3Location {
  if (!/^s3:\/\//i.test(url)) {
    if (/^s3:/i.test(url)) throw usage(url, 'expected s3://bucket/key (two slashes after s3:)');
    throw usage(url, 'expected s3://bucket/key');
  }
  if (!url.startsWith('s3://')) throw usage(url, 'write the scheme in lowercase: s3://');
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw usage(url, 'the bucket name is empty');
  const problem = bucketNameProblem(bucket);
  if (problem) throw usage(url, `bucket name "${bucket}" ${problem}`, 'E_INVALID_BUCKET_NAME');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw usage(
      url,
      `the key is ${bytes} bytes; S3 allows at most ${MAX_KEY_BYTES}`,
      'E_KEY_TOO_LONG',
    );
  }
  return { kind: 's3', bucket, key };
}

/** True when `text` is meant as a store URL (`s3:…`), even a malformed one. */
export function isS3Url(text: string): boolean {
  return /^s3:/i.test(text);
}

/**
 * Tells a store URL from a local path. Anything starting with `s3:` must be a valid S3 URL;
 * another URL scheme (`http://`, `gs://`) is an error rather than a strange local path;
 * everything else, Windows drive paths such as `C:\x` included, is local.
 *
 * @example
 * parseLocation('./renders');          // { kind: 'local', path: './renders' }
 * parseLocation('s3://assets/renders/'); // { kind: 's3', bucket: 'assets', key: 'renders/' }
 */
export function parseLocation(text: string): Location {
  if (text === '')
    throw new StowageError('E_USAGE', 'empty path: expected a local path or s3://bucket/key');
  if (text.includes('\0'))
    throw new StowageError('E_USAGE', 'a path must not contain a NUL character');
  if (isS3Url(text)) return parseS3Url(text);
  const scheme = SCHEME.exec(text)?.[1];
  if (scheme && scheme.length > 1 && text.slice(scheme.length + 1).startsWith('//')) {
    throw new StowageError(
      'E_USAGE',
      `unsupported URL "${text}": expected s3://bucket/key or a local path`,
      { details: { url: text } },
    );
  }
  return { kind: 'local', path: text };
}

/**
 * Formats a store location as `s3://bucket/key`.
 *
 * @example
 * formatS3Url({ bucket: 'assets', key: 'a/b.png' }); // 's3://assets/a/b.png'
 */
export function formatS3Url(location: { bucket: string; key?: string }): string {
  return `s3://${location.bucket}/${location.key ?? ''}`;
}
