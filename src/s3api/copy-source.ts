/**
 * The x-amz-copy-source header of CopyObject and UploadPartCopy: `[/]bucket/key[?versionId=…]`,
 * URL-encoded. One parser for the authoriser and the handlers, so that what is checked is
 * exactly what is copied. Like S3 it decodes before it splits: `bucket%2Fkey` names key `key`
 * of bucket `bucket` (bucket names cannot hold a `/`, so the first one separates them).
 */
import { StowageError } from '../errors.js';

/** Parses a copy source, or throws InvalidArgument naming what is wrong with it. */
export function parseCopySource(raw: string): { bucket: string; key: string; versionId?: string } {
  const q = raw.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent((q < 0 ? raw : raw.slice(0, q)).replace(/^\//, ''));
  } catch {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-copy-source "${raw}" is not valid percent-encoding`,
    );
  }
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new StowageError('E_INVALID_ARGUMENT', `x-amz-copy-source "${raw}" must be bucket/key`);
  }
  const versionId =
    q < 0 ? undefined : (new URLSearchParams(raw.slice(q + 1)).get('versionId') ?? undefined);
  // `?versionId=` names no version: S3 refuses it rather than copy the latest.
  if (versionId === '') {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `Version id cannot be the empty string (x-amz-copy-source "${raw}")`,
    );
  }
  return {
    bucket: path.slice(0, slash),
    key: path.slice(slash + 1),
    ...(versionId ? { versionId } : {}),
  };
}
