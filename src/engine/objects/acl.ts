/**
 * Object ACLs. The engine stores an ACL per object version (and per multipart upload,
 * for the object it completes) as an opaque string the S3 front end writes: a canned
 * ACL name (`public-read`) or a JSON grant list. `null` means private, the S3 default.
 * The engine checks only that it is a bounded, non-empty string; what it means is the
 * front end's business (src/s3api/acl/).
 */
import { StowageError } from '../../errors.js';
import type { EngineContext } from '../context.js';
import { resolveVersion, versionToChange } from './read.js';

/** The longest stored ACL accepted. S3 allows at most 100 grants per ACL. */
export const MAX_ACL_CHARS = 64 * 1024;

/** Throws E_INVALID_ARGUMENT unless `acl` is a storable ACL. Returns it. */
export function assertStoredAcl(acl: string): string {
  if (typeof acl !== 'string' || acl.length === 0 || acl.length > MAX_ACL_CHARS) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `an object ACL must be a non-empty string of at most ${MAX_ACL_CHARS} characters`,
    );
  }
  return acl;
}

/**
 * The ACL of a version: the latest without `versionId`. `acl` is undefined for private.
 * Throws NoSuchKey / NoSuchVersion / MethodNotAllowed (a delete marker) as reads do.
 */
export function getObjectAcl(
  ctx: EngineContext,
  bucket: string,
  key: string,
  versionId?: string,
): { versionId: string; acl?: string } {
  const row = resolveVersion(ctx, bucket, key, versionId) as { version_id: string; acl?: unknown };
  const acl = typeof row.acl === 'string' ? row.acl : undefined;
  return { versionId: row.version_id, ...(acl !== undefined ? { acl } : {}) };
}

/** Replaces the ACL of a version; `undefined` makes it private. */
export async function putObjectAcl(
  ctx: EngineContext,
  bucket: string,
  key: string,
  acl: string | undefined,
  versionId?: string,
): Promise<{ versionId: string }> {
  if (acl !== undefined) assertStoredAcl(acl);
  await ctx.blobs.ensureSpace(0);
  return ctx.queue.run(() => {
    const row = versionToChange(ctx, bucket, key, versionId);
    ctx.sql('UPDATE versions SET acl = ? WHERE id = ?').run(acl ?? null, row.id);
    return { versionId: row.version_id };
  });
}
