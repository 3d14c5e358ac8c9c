/** DeleteObject and DeleteObjects. */
import { isStowageError, StowageError } from '../../errors.js';
import { requireBucket } from '../buckets.js';
import type { EngineContext } from '../context.js';
import { assertKey } from '../names.js';
import type { DeleteObjectOptions, DeleteObjectResult, DeleteObjectsItem } from '../types.js';
import {
  assertVersionId,
  checkCurrentConditions,
  deleteCurrent,
  deleteVersion,
  isVersionId,
  versionRow,
} from './placement.js';

/** Deletes an object or one version; see placement.ts for the versioning rules. */
export async function deleteObject(
  ctx: EngineContext,
  bucket: string,
  key: string,
  options: DeleteObjectOptions = {},
): Promise<DeleteObjectResult> {
  // An If-Match is judged against the current object: with a version id it would guard one
  // object and delete another. S3 answers 501 even when the version is the current one.
  if (options.ifMatch !== undefined && options.versionId !== undefined) {
    throw new StowageError(
      'E_NOT_IMPLEMENTED',
      'A header you provided implies functionality that is not implemented: a delete conditional on If-Match with a version id (an If-Match names the current object, not a version)',
    );
  }
  const { versioning } = requireBucket(ctx, bucket);
  assertKey(key);
  if (options.versionId !== undefined) assertVersionId(options.versionId);
  // A delete that adds a delete marker frees nothing and grows the metadata: like any new
  // bytes it stops at the free-space reserve, which is kept for deletes that free space.
  // In a Suspended bucket the marker replaces the key's null version (and frees its bytes),
  // so a key that has one grows nothing.
  if (
    options.versionId === undefined &&
    versioning !== 'Unversioned' &&
    !(versioning === 'Suspended' && versionRow(ctx, bucket, key, 'null') !== undefined)
  ) {
    await ctx.blobs.ensureSpace(0);
  }
  return ctx.queue.run((tx) => {
    const state = requireBucket(ctx, bucket).versioning;
    if (options.ifMatch !== undefined)
      checkCurrentConditions(ctx, bucket, key, { ifMatch: options.ifMatch });
    const r =
      options.versionId === undefined
        ? deleteCurrent(ctx, tx, state, bucket, key)
        : deleteVersion(ctx, tx, bucket, key, options.versionId, options.bypassGovernance);
    return {
      deleteMarker: r.deleteMarker,
      ...(r.versionId !== undefined ? { versionId: r.versionId } : {}),
    };
  });
}

/** S3's limit on keys per DeleteObjects request. */
export const MAX_DELETE_BATCH = 1000;

/**
 * Deletes up to 1000 objects. Each key gets its own result: one bad key does not stop
 * the others (S3's DeleteObjects reports per-key errors the same way). An empty version
 * id names no version: that key fails, it is not read as "the current object".
 */
export async function deleteObjects(
  ctx: EngineContext,
  bucket: string,
  items: ReadonlyArray<{
    key: string;
    versionId?: string;
    ifMatch?: string;
    bypassGovernance?: boolean;
  }>,
): Promise<DeleteObjectsItem[]> {
  requireBucket(ctx, bucket);
  if (items.length === 0 || items.length > MAX_DELETE_BATCH) {
    throw new StowageError(
      'E_MALFORMED_XML',
      `a batch delete must name 1 to ${MAX_DELETE_BATCH} keys, got ${items.length}`,
    );
  }
  return Promise.all(
    items.map(async (item): Promise<DeleteObjectsItem> => {
      try {
        // S3 reports a version id it could never have issued as a version it does not have
        // here (a single DeleteObject answers InvalidArgument).
        if (item.versionId !== undefined && item.versionId !== '' && !isVersionId(item.versionId)) {
          throw new StowageError('E_NO_SUCH_VERSION', 'The specified version does not exist.', {
            details: { key: item.key, versionId: item.versionId },
          });
        }
        const r = await deleteObject(ctx, bucket, item.key, {
          ...(item.versionId !== undefined ? { versionId: item.versionId } : {}),
          ...(item.ifMatch !== undefined ? { ifMatch: item.ifMatch } : {}),
          ...(item.bypassGovernance ? { bypassGovernance: true } : {}),
        });
        return {
          key: item.key,
          ...(item.versionId !== undefined ? { versionId: item.versionId } : {}),
          ok: true,
          deleteMarker: r.deleteMarker,
          ...(r.deleteMarker && r.versionId ? { deleteMarkerVersionId: r.versionId } : {}),
        };
      } catch (err) {
        if (!isStowageError(err)) throw err;
        return {
          key: item.key,
          ...(item.versionId !== undefined ? { versionId: item.versionId } : {}),
          ok: false,
          code: err.s3Code,
          message: err.message,
        };
      }
    }),
  );
}
