/**
 * S3's rules for bucket names and object keys, checked before anything is stored.
 * Keys are data, never paths: blob files are named by random ids, so a key such as
 * `../../etc/passwd` is just a key.
 */
import { bucketNameProblem } from '../bucket-names.js';
import { StowageError } from '../errors.js';

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
