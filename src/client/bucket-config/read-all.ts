/**
 * Reads every (or some) sub-resource of a bucket for `stowage plan`: one failure does not
 * hide the others, each is captured next to its sub-resource.
 */
import type { StoreSession } from '../ops/session.js';
import { StowageError } from '../../errors.js';
import { translateS3Error } from '../index.js';
import { SUB_RESOURCE_NAMES, type SubResource, type SubResourceName } from './contract.js';
import { SUB_RESOURCES, type SubResourceValues } from './registry.js';

/** What reading one sub-resource gave: its value (undefined = not set) or its error. */
export type SubResourceState<T> =
  { ok: true; value: T | undefined } | { ok: false; error: StowageError };

/** Per sub-resource, what the bucket has. */
export type BucketState = { [K in SubResourceName]?: SubResourceState<SubResourceValues[K]> };

/**
 * Reads `subResources` (default: all, in apply order) of `bucket`. A missing bucket throws
 * E_NO_SUCH_BUCKET and an unreachable store E_NETWORK (there is nothing per-sub-resource to
 * report); other errors, such as a store that does not implement a sub-resource, are
 * captured in its entry.
 */
export async function readBucketState(
  session: StoreSession,
  bucket: string,
  subResources: readonly SubResourceName[] = SUB_RESOURCE_NAMES,
): Promise<BucketState> {
  const state: Record<string, SubResourceState<unknown>> = {};
  for (const name of subResources) {
    const sub = SUB_RESOURCES[name] as SubResource<unknown> | undefined;
    if (!sub) {
      throw new StowageError(
        'E_INVALID_ARGUMENT',
        `unknown bucket sub-resource '${name}' (one of ${SUB_RESOURCE_NAMES.join(', ')})`,
        {
          details: { bucket, value: name },
        },
      );
    }
    try {
      state[name] = { ok: true, value: await sub.read(session, bucket) };
    } catch (err) {
      const error = translateS3Error(err, { bucket, store: session.store });
      // Nothing per-sub-resource to report: the bucket is missing, or the store unreachable.
      if (error.code === 'E_NO_SUCH_BUCKET' || error.code === 'E_NETWORK') throw error;
      state[name] = { ok: false, error };
    }
  }
  return state as BucketState;
}
