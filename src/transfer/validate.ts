/** Checks of transfer options, so a bad value fails with a StowageError naming it. */
import { validateTags } from '../engine/objects/input.js';
import { StowageError } from '../errors.js';
import { checkTagText } from '../s3api/documents/tagging.js';
import { encodeKeyPath } from '../sigv4/key-path.js';
import { HEADER_TOKEN, PRINTABLE_ASCII } from '../client/http-text.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_PART_SIZE_BYTES,
  MAX_PART_SIZE_BYTES,
  MAX_PARTS,
  type ObjectProperties,
  type TransferBase,
} from './types.js';

function invalid(field: string, value: unknown, expected: string): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `${field} must be ${expected}, got ${JSON.stringify(value)}`,
    {
      details: { field, value },
    },
  );
}

/**
 * Bucket and key must be non-empty strings, the key well-formed Unicode: a key with a lone
 * surrogate has no UTF-8 form, so no request can name it.
 */
export function checkTarget(bucket: unknown, key: unknown, prefix = ''): void {
  if (typeof bucket !== 'string' || bucket === '')
    throw invalid(`${prefix}bucket`, bucket, 'a bucket name');
  if (typeof key !== 'string' || key === '') throw invalid(`${prefix}key`, key, 'a non-empty key');
  if (encodeKeyPath(key) === undefined) {
    throw invalid(`${prefix}key`, key, 'well-formed Unicode (it has a lone surrogate)');
  }
}

/** The validated concurrency, part size and attempts of a transfer. */
export function transferSettings(
  o: Pick<TransferBase, 'concurrency' | 'partSizeBytes' | 'attempts'>,
): {
  concurrency: number;
  partSizeBytes: number;
  attempts: number;
} {
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
    throw invalid('concurrency', concurrency, 'a whole number from 1 to 1024');
  }
  const partSizeBytes = o.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
  if (
    !Number.isInteger(partSizeBytes) ||
    partSizeBytes < 1 ||
    partSizeBytes > MAX_PART_SIZE_BYTES
  ) {
    throw invalid(
      'partSizeBytes',
      partSizeBytes,
      `a whole number of bytes from 1 to ${MAX_PART_SIZE_BYTES}`,
    );
  }
  const attempts = o.attempts ?? 10;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw invalid('attempts', attempts, 'a whole number ≥ 1');
  return { concurrency, partSizeBytes, attempts };
}

/**
 * The part size for an object of `sizeBytes`: the requested size, grown (to whole MiB)
 * so the object fits in S3's 10,000 parts.
 */
export function partSizeFor(sizeBytes: number, requested: number): number {
  if (Math.ceil(sizeBytes / requested) <= MAX_PARTS) return requested;
  const mib = 1024 * 1024;
  const grown = Math.ceil(sizeBytes / MAX_PARTS / mib) * mib;
  if (grown > MAX_PART_SIZE_BYTES) {
    throw new StowageError(
      'E_ENTITY_TOO_LARGE',
      `${sizeBytes} bytes do not fit in 10,000 parts of 5 GiB`,
    );
  }
  return grown;
}

/** Checks the expected size of a stream upload, when given. */
export function checkExpectedSize(bytes: number | undefined): void {
  if (bytes !== undefined && (!Number.isSafeInteger(bytes) || bytes < 0)) {
    throw invalid('expectedSizeBytes', bytes, 'a whole number of bytes');
  }
}

/** Checks the object properties of an upload or copy. */
export function checkProperties(p: ObjectProperties): void {
  if (p.sse !== undefined && p.sse !== 'AES256' && p.sse !== 'aws:kms') {
    throw invalid('sse', p.sse, '"AES256" or "aws:kms"');
  }
  if (p.sseKmsKeyId !== undefined && p.sse !== 'aws:kms') {
    throw invalid('sseKmsKeyId', p.sseKmsKeyId, 'given only with sse "aws:kms"');
  }
  for (const [field, map] of [
    ['metadata', p.metadata],
    ['tags', p.tags],
  ] as const) {
    if (map === undefined) continue;
    for (const [k, v] of Object.entries(map)) {
      if (k === '' || typeof v !== 'string')
        throw invalid(`${field}.${k}`, v, 'a string under a non-empty name');
      if (field === 'metadata' && !HEADER_TOKEN.test(k)) {
        throw invalid(`metadata name ${JSON.stringify(k)}`, k, METADATA_RULE);
      }
      if (field === 'metadata' && !PRINTABLE_ASCII.test(v)) {
        throw invalid(`metadata.${k}`, v, METADATA_RULE);
      }
    }
  }
  // S3's own tag rules (10 at most, lengths, no aws: key, its character set), checked before
  // anything is sent: some stores answer only a bare InvalidArgument.
  if (p.tags !== undefined) {
    validateTags(p.tags);
    for (const [k, v] of Object.entries(p.tags)) checkTagText(k, v);
  }
}

// User metadata travels as `x-amz-meta-<name>: <value>` headers, which S3 signs and
// compares as US-ASCII: anything else fails as a signature mismatch at best.
const METADATA_RULE =
  'printable US-ASCII (S3 sends user metadata in HTTP headers; names also without spaces or separators)';

/**
 * The `Tagging` header value (URL query form) for a tag map, or undefined. Percent-encoded
 * throughout (a space is `%20`): URLSearchParams writes a space as `+`, which Ceph RGW
 * stores as a `+`.
 */
export function taggingHeader(tags: Record<string, string> | undefined): string | undefined {
  if (!tags || Object.keys(tags).length === 0) return undefined;
  return Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}
