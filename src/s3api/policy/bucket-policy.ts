/** Reading a bucket's policy from the engine, parsed once per distinct document text. */
import type { Engine } from '../../engine/engine.js';
import { isStowageError } from '../../errors.js';
import { parsePolicy, type PolicyDocument } from '../documents/policy.js';

/** How many parsed policies are kept; the cache is dropped whole when full. */
const MAX_CACHED = 512;

/** A bucket's policy: none, parsed, or stored but no longer valid. */
export type BucketPolicy =
  { kind: 'none' } | { kind: 'policy'; doc: PolicyDocument } | { kind: 'unreadable' };

/** Reads bucket policies; cheap to call per request (one prepared SELECT, a cache hit). */
export type BucketPolicyReader = (bucket: string) => BucketPolicy;

/**
 * Creates a reader over `engine`. A bucket that does not exist has no policy (the handler
 * answers NoSuchBucket afterwards). A stored policy that no longer parses is
 * `unreadable`: authorisation then fails closed for everyone but the root key.
 *
 * @example
 * const policyOf = createBucketPolicyReader(engine);
 * policyOf('assets'); // { kind: 'policy', doc }
 */
export function createBucketPolicyReader(
  engine: Pick<Engine, 'findBucketConfig'>,
): BucketPolicyReader {
  const cache = new Map<string, BucketPolicy>();
  return (bucket) => {
    let text: string | undefined;
    try {
      text = engine.findBucketConfig(bucket, 'policy');
    } catch (err) {
      if (isStowageError(err) && err.code === 'E_NO_SUCH_BUCKET') return { kind: 'none' };
      throw err;
    }
    if (text === undefined) return { kind: 'none' };
    const cacheKey = `${bucket}\n${text}`;
    const hit = cache.get(cacheKey);
    if (hit) return hit;
    let parsed: BucketPolicy;
    try {
      parsed = { kind: 'policy', doc: parsePolicy(text, bucket) };
    } catch {
      parsed = { kind: 'unreadable' };
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(cacheKey, parsed);
    return parsed;
  };
}
