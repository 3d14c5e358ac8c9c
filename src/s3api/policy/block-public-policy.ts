/** BlockPublicPolicy: a bucket whose public access block says so refuses public policies. */
import type { Engine } from '../../engine/engine.js';
import { StowageError } from '../../errors.js';
import { parsePolicy } from '../documents/policy.js';
import { isPublicPolicy } from './public.js';
import { publicAccessBlockOf } from './public-access-block.js';

/**
 * Throws AccessDenied when `policyText` (already validated) is public and the bucket's
 * public access block has BlockPublicPolicy on, as S3 does on PutBucketPolicy.
 *
 * @example
 * refusePublicPolicy(engine, 'assets', json); // throws if public and blocked
 */
export function refusePublicPolicy(engine: Engine, bucket: string, policyText: string): void {
  if (!publicAccessBlockOf(engine, bucket).BlockPublicPolicy) return;
  if (!isPublicPolicy(parsePolicy(policyText, bucket))) return;
  throw new StowageError(
    'E_ACCESS_DENIED',
    `access denied: the policy is public and the public access block of bucket "${bucket}" (BlockPublicPolicy) forbids public policies`,
    { details: { bucket } },
  );
}
