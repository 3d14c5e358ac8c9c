/** The destination fields of a copy: what is kept from the source, what is replaced. */
import { StowageError } from '../errors.js';
import type { SourceInfo } from './source-head.js';
import { META_MTIME, META_SHA256, type ObjectProperties } from './types.js';
import { taggingHeader } from './validate.js';

/** `COPY` keeps the source's metadata and headers; `REPLACE` takes the caller's. */
export type MetadataDirective = 'COPY' | 'REPLACE';

/** The directive in force: REPLACE when asked, or when the caller set any header. */
export function directiveFor(
  asked: MetadataDirective | undefined,
  p: ObjectProperties,
): MetadataDirective {
  if (asked !== undefined && asked !== 'COPY' && asked !== 'REPLACE') {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `metadataDirective must be "COPY" or "REPLACE", got ${JSON.stringify(asked)}`,
      { details: { field: 'metadataDirective', value: asked } },
    );
  }
  if (asked) return asked;
  const replacing =
    p.metadata !== undefined || p.contentType !== undefined || p.cacheControl !== undefined;
  return replacing ? 'REPLACE' : 'COPY';
}

/**
 * Metadata and headers for the destination when Stowage writes them itself (multipart and
 * cross-store copies). The bytes do not change, so `stowage-mtime`/`stowage-sha256` stay.
 */
export function destinationFields(
  src: SourceInfo,
  p: ObjectProperties,
  directive: MetadataDirective,
): Record<string, unknown> {
  const keep: Record<string, string> = {};
  for (const k of [META_MTIME, META_SHA256]) {
    if (src.metadata[k] !== undefined) keep[k] = src.metadata[k];
  }
  const base =
    directive === 'COPY'
      ? { ...src.headers, Metadata: src.metadata }
      : {
          ContentType: p.contentType ?? src.headers.ContentType ?? 'application/octet-stream',
          ...(p.cacheControl !== undefined ? { CacheControl: p.cacheControl } : {}),
          Metadata: { ...p.metadata, ...keep },
        };
  return {
    ...base,
    ...(p.storageClass !== undefined ? { StorageClass: p.storageClass } : {}),
    ...(p.sse !== undefined ? { ServerSideEncryption: p.sse } : {}),
    ...(p.sseKmsKeyId !== undefined ? { SSEKMSKeyId: p.sseKmsKeyId } : {}),
    ...(taggingHeader(p.tags) ? { Tagging: taggingHeader(p.tags) } : {}),
  };
}
