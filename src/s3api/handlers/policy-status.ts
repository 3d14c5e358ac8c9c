/** GetBucketPolicyStatus (`GET /bucket?policyStatus`): whether the bucket policy is public. */
import { bucketOf, type S3Request } from '../context.js';
import { parsePolicy } from '../documents/policy.js';
import { isPublicPolicy } from '../policy/public.js';
import { sendXml } from '../respond.js';

/** Answers `<PolicyStatus><IsPublic>…</IsPublic></PolicyStatus>`; NoSuchBucketPolicy without one. */
export function getBucketPolicyStatus(r: S3Request): void {
  const bucket = bucketOf(r);
  const doc = parsePolicy(r.engine.getBucketConfig(bucket, 'policy'), bucket);
  sendXml(r.res, 200, 'PolicyStatus', { IsPublic: isPublicPolicy(doc) });
}
