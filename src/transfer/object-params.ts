/** The request fields an upload sends, and the ETag checks of what the store answers. */
import { StowageError } from '../errors.js';
import { bareEtag } from './hashing.js';
import { META_MTIME, META_SHA256, type ObjectProperties } from './types.js';
import { taggingHeader } from './validate.js';

/**
 * PutObject / CreateMultipartUpload fields for an upload of a file with this mtime and
 * hash. A stream has no mtime, and its hash is unknown before a multipart upload starts:
 * without them, the metadata sync relies on is left out (and not taken from `props`).
 */
export function writeParams(
  props: ObjectProperties,
  contentType: string,
  mtimeMs: number | undefined,
  sha256: string | undefined,
): Record<string, unknown> {
  // Ours last: a caller's metadata may not forge the values sync relies on.
  const Metadata: Record<string, string> = { ...props.metadata };
  delete Metadata[META_MTIME];
  delete Metadata[META_SHA256];
  if (mtimeMs !== undefined) Metadata[META_MTIME] = String(mtimeMs);
  if (sha256 !== undefined) Metadata[META_SHA256] = sha256;
  return {
    ContentType: contentType,
    Metadata,
    ...(props.cacheControl !== undefined ? { CacheControl: props.cacheControl } : {}),
    ...(props.storageClass !== undefined ? { StorageClass: props.storageClass } : {}),
    ...(props.sse !== undefined ? { ServerSideEncryption: props.sse } : {}),
    ...(props.sseKmsKeyId !== undefined ? { SSEKMSKeyId: props.sseKmsKeyId } : {}),
    ...(taggingHeader(props.tags) ? { Tagging: taggingHeader(props.tags) } : {}),
  };
}

/**
 * True when the store's ETag is not an MD5 for this response: SSE-KMS and SSE-C objects
 * get opaque ETags on AWS, so checking them would fail every upload.
 */
export function etagIsOpaque(res: {
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
}): boolean {
  return (
    (res.ServerSideEncryption ?? '').startsWith('aws:kms') || res.SSECustomerAlgorithm !== undefined
  );
}

/** Throws E_CHECKSUM_MISMATCH unless the store's ETag equals the one we computed. */
export function expectEtag(got: string | undefined, want: string, what: string): void {
  if (bareEtag(got) === want) return;
  throw new StowageError(
    'E_CHECKSUM_MISMATCH',
    `${what}: the store answered ETag ${JSON.stringify(bareEtag(got))}, but the bytes sent have ${want}; the data may have been damaged on the way`,
    { details: { etag: bareEtag(got), expected: want } },
  );
}
