/**
 * S3's rules for bucket names and object keys, checked before anything is stored.
 * Keys are data, never paths: blob files are named by random ids, so a key such as
 * `../../etc/passwd` is just a key.
 */
import { StowageError } from '../errors.js';

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'sthree-configurator', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/**
 * Returns why `name` is not a valid S3 bucket name, or undefined when it is. Follows
 * the general-purpose bucket naming rules of the S3 user guide.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!BUCKET_CHARS.test(name)) {
    return 'may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (name.includes('.-') || name.includes('-.')) return 'must not contain a dot next to a hyphen';
  if (IPV4.test(name)) return 'must not be formatted as an IP address';
  for (const p of RESERVED_PREFIXES)
    if (name.startsWith(p)) return `must not start with the reserved prefix "${p}"`;
  for (const s of RESERVED_SUFFIXES)
    if (name.endsWith(s)) return `must not end with the reserved suffix "${s}"`;
  return undefined;
}

/** Throws E_INVALID_BUCKET_NAME naming the rule `name` breaks. */
export function assertBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem) {
    throw new StowageError('E_INVALID_BUCKET_NAME', `invalid bucket name "${name}": ${problem}`, {
      details: { bucket: name },
    });
  }
}

/** S3's limit on key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Throws unless `key` is a valid S3 object key: 1..1024 UTF-8 bytes of valid Unicode. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StowageError('E_INVALID_KEY', 'the object key must not be empty');
  }
  if (!key.isWellFormed()) {
    throw new StowageError(
      'E_INVALID_KEY',
      'the object key is not valid Unicode (it has a lone surrogate)',
    );
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new StowageError(
      'E_KEY_TOO_LONG',
      `the object key is ${bytes} bytes; the maximum is ${MAX_KEY_BYTES}`,
      {
        details: { keyBytes: bytes, maxKeyBytes: MAX_KEY_BYTES },
      },
    );
  }
}
