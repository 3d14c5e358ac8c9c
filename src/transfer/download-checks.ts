/**
 * The checks a finished download must pass before its bytes replace the target, shared by
 * the ranged (download.ts) and the whole-object (download-whole.ts) paths.
 */
import { StowageError } from '../errors.js';
import { bareEtag, looksLikeMd5 } from './hashing.js';
import { etagIsOpaque } from './object-params.js';
import { META_MTIME, META_SHA256 } from './types.js';

/** What a download reads from its HEAD. */
export type Head = {
  Metadata?: Record<string, string>;
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
  LastModified?: Date;
};

/** What the bytes were checked against. */
export type VerifiedBy = 'stowage-sha256' | 'etag-md5' | 'none';

/**
 * Checks the digests of the bytes received against `stowage-sha256`, else a plain MD5
 * ETag; returns what they were checked against, or the E_CHECKSUM_MISMATCH to throw.
 * `consequence` ends its message: what became of the bytes.
 */
export function verify(
  head: Head,
  digest: { sha256: string; md5: string },
  etag: string,
  what: string,
  consequence = 'nothing was written',
): VerifiedBy | StowageError {
  const want = head.Metadata?.[META_SHA256]?.toLowerCase();
  if (want) {
    if (want === digest.sha256) return 'stowage-sha256';
    return new StowageError(
      'E_CHECKSUM_MISMATCH',
      `${what}: the bytes received have SHA-256 ${digest.sha256}, but the object's stowage-sha256 is ${want}; ${consequence}`,
      { details: { expected: want, actual: digest.sha256 } },
    );
  }
  const bare = bareEtag(etag);
  if (looksLikeMd5(bare) && !etagIsOpaque(head)) {
    if (bare === digest.md5) return 'etag-md5';
    return new StowageError(
      'E_CHECKSUM_MISMATCH',
      `${what}: the bytes received have MD5 ${digest.md5}, but the object's ETag is ${bare}; ${consequence}`,
      { details: { expected: bare, actual: digest.md5 } },
    );
  }
  return 'none';
}

/** The local mtime to set: `stowage-mtime` when preserving and present, else LastModified. */
export function pickMtime(head: Head, preserve: boolean): number | undefined {
  const stored = Number(head.Metadata?.[META_MTIME]);
  if (preserve && Number.isSafeInteger(stored) && stored > 0) return stored;
  return head.LastModified?.getTime();
}

/** The error of a download whose object was replaced after it started (If-Match failed). */
export function replacedError(
  what: string,
  etag: string,
  cause: unknown,
  bucket: string,
  key: string,
): StowageError {
  return new StowageError(
    'E_PRECONDITION_FAILED',
    `${what}: the object changed during the download (its ETag is no longer ${etag}); run it again`,
    { cause, details: { bucket, key } },
  );
}
