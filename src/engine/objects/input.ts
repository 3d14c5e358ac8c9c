/**
 * Validation of what a writer sends with an object: user metadata, tags, Content-MD5
 * and x-amz-checksum-* values. Every check runs before a byte is stored, or (for
 * digests) before the written blob is published.
 */
import { StowageError } from '../../errors.js';
import { wireByteLength } from '../../header-value.js';
import type { BlobDigests } from '../blobs/write-blob.js';
import { CHECKSUM_ALGORITHMS, CHECKSUM_BYTES, isValidChecksumValue } from '../checksums/index.js';
import type { ChecksumAlgorithm, ChecksumValues, ObjectHeaders } from '../types.js';

/**
 * S3's limit on the user metadata of one object: the bytes of its keys and values as a
 * header carries them (UTF-8).
 */
export const MAX_METADATA_BYTES = 2048;
/** S3's limits on object tags. */
export const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

/** Lowercases metadata keys (HTTP headers are case-insensitive) and checks the size. */
export function normalizeMetadata(
  metadata: Record<string, string> | undefined,
): Record<string, string> {
  const out = new Map<string, string>();
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') {
      throw new StowageError('E_INVALID_ARGUMENT', `metadata value of "${k}" must be a string`);
    }
    const key = k.toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `metadata key "${k}" is not a valid HTTP header name`,
      );
    }
    bytes += key.length + wireByteLength(v);
    out.set(key, v);
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new StowageError(
      'E_METADATA_TOO_LARGE',
      `user metadata is ${bytes} bytes; the maximum is ${MAX_METADATA_BYTES}`,
      { details: { sizeBytes: bytes, maxSizeBytes: MAX_METADATA_BYTES } },
    );
  }
  // Own properties for every name, `__proto__` included (an assignment would set nothing).
  return Object.fromEntries(out);
}

/** Checks a tag set against S3's limits. */
export function validateTags(tags: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(tags ?? {});
  if (entries.length > MAX_TAGS) {
    // S3 answers `BadRequest: Object tags cannot be greater than 10` (boto3 issue #1213).
    throw new StowageError(
      'E_BAD_REQUEST',
      `Object tags cannot be greater than ${MAX_TAGS}; got ${entries.length}`,
    );
  }
  // S3 counts tag lengths in characters (code points), not UTF-16 units.
  const chars = (s: string): number => [...s].length;
  for (const [k, v] of entries) {
    if (k.length === 0 || chars(k) > MAX_TAG_KEY) {
      throw new StowageError(
        'E_INVALID_TAG',
        `tag key "${k}" must be 1 to ${MAX_TAG_KEY} characters`,
      );
    }
    if (typeof v !== 'string' || chars(v) > MAX_TAG_VALUE) {
      throw new StowageError(
        'E_INVALID_TAG',
        `the value of tag "${k}" must be a string of at most ${MAX_TAG_VALUE} characters`,
      );
    }
    if (k.startsWith('aws:')) {
      throw new StowageError('E_INVALID_TAG', `tag key "${k}" uses the reserved prefix "aws:"`, {
        details: { tagKey: k },
      });
    }
  }
  return Object.fromEntries(entries);
}

/** Drops undefined header fields so stored JSON stays small and comparable. */
export function cleanHeaders(headers: ObjectHeaders | undefined): ObjectHeaders {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([, v]) => v !== undefined && v !== ''),
  );
}

/** Throws E_INVALID_DIGEST unless `value` is base64 of 16 bytes. */
export function assertContentMd5(value: string): void {
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== 16 || raw.toString('base64') !== value.trim()) {
    throw new StowageError(
      'E_INVALID_DIGEST',
      `Content-MD5 "${value}" is not the base64 of a 16-byte MD5`,
    );
  }
}

/** Throws E_INVALID_REQUEST (S3's InvalidRequest) for checksum values that cannot be of their algorithm. */
export function assertChecksumValues(values: ChecksumValues): void {
  for (const [alg, value] of Object.entries(values)) {
    if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new StowageError('E_INVALID_ARGUMENT', `unknown checksum algorithm "${alg}"`);
    }
    if (value === undefined) continue;
    if (!isValidChecksumValue(alg as ChecksumAlgorithm, value)) {
      // S3's code and words for a checksum header that cannot be a digest of its
      // algorithm, and what it should have been.
      const bytes = CHECKSUM_BYTES[alg as ChecksumAlgorithm];
      throw new StowageError(
        'E_INVALID_REQUEST',
        `Value for x-amz-checksum-${alg.toLowerCase()} header is invalid: ${JSON.stringify(value)} is not the base64 of a ${bytes}-byte ${alg} digest`,
      );
    }
  }
}

/** The algorithms to compute for a write: the requested one plus any with a value given. */
export function algorithmsFor(
  algorithm: ChecksumAlgorithm | undefined,
  checksums: ChecksumValues | Promise<ChecksumValues> | undefined,
): ChecksumAlgorithm[] {
  const set = new Set<ChecksumAlgorithm>();
  if (algorithm) set.add(algorithm);
  if (checksums && !(checksums instanceof Promise)) {
    for (const a of Object.keys(checksums) as ChecksumAlgorithm[]) set.add(a);
  }
  for (const a of set) {
    if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(a)) {
      throw new StowageError('E_INVALID_ARGUMENT', `unknown checksum algorithm "${a}"`);
    }
  }
  return [...set];
}

/**
 * Throws XAmzContentSHA256Mismatch unless a body's SHA-256 (`actualHex`) is the signed
 * one (hex in any case); the error names the client's value as it was sent.
 */
export function assertPayloadSha256(actualHex: string, signed: string, sent = signed): void {
  if (actualHex === signed.toLowerCase()) return;
  throw new StowageError(
    'E_CONTENT_SHA256_MISMATCH',
    "The provided 'x-amz-content-sha256' header does not match what was computed; nothing was stored",
    { details: { clientComputedContentSHA256: sent, s3ComputedContentSHA256: actualHex } },
  );
}

/**
 * Compares the digests of written bytes with what the client declared: `sha256` (a
 * signed x-amz-content-sha256, hex) first, as S3 checks it before any digest, then
 * Content-MD5 and the checksums. Trailing checksums (a promise) are awaited here, after
 * the body. Any mismatch rejects the write.
 *
 * The engine hashes every body with SHA-256 anyway, so the S3 front end leaves the check
 * of a signed payload hash to it instead of hashing each upload a second time.
 */
export async function verifyDigests(
  digests: Pick<BlobDigests, 'md5' | 'checksums'> & { sha256?: Buffer },
  contentMd5: string | undefined,
  expected: ChecksumValues | Promise<ChecksumValues> | undefined,
  sha256?: string,
): Promise<void> {
  if (sha256 !== undefined) {
    if (!digests.sha256) throw new StowageError('E_INTERNAL', 'no SHA-256 to check the body by');
    assertPayloadSha256(digests.sha256.toString('hex'), sha256);
  }
  if (contentMd5 !== undefined && digests.md5.toString('base64') !== contentMd5.trim()) {
    throw new StowageError(
      'E_BAD_DIGEST',
      'the Content-MD5 you specified did not match what was received',
      {
        details: {
          expectedDigest: Buffer.from(contentMd5.trim(), 'base64').toString('hex'),
          calculatedDigest: digests.md5.toString('base64'),
        },
      },
    );
  }
  const values = await expected;
  if (!values) return;
  assertChecksumValues(values);
  for (const [alg, value] of Object.entries(values) as Array<
    [ChecksumAlgorithm, string | undefined]
  >) {
    if (value === undefined) continue;
    const actual = digests.checksums[alg];
    if (!actual) {
      throw new StowageError(
        'E_INVALID_REQUEST',
        `a trailing x-amz-checksum-${alg.toLowerCase()} was sent but ${alg} was not declared before the body`,
      );
    }
    if (actual.toString('base64') !== value) {
      throw new StowageError(
        'E_CHECKSUM_MISMATCH',
        `the ${alg} you specified did not match the calculated checksum`,
        {
          details: { algorithm: alg },
        },
      );
    }
  }
}

/** Base64 values of the computed checksums, for storage and responses. */
export function checksumValuesOf(digests: BlobDigests): ChecksumValues {
  return Object.fromEntries(
    Object.entries(digests.checksums).map(([a, b]) => [a, b.toString('base64')]),
  );
}
