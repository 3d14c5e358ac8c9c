/**
 * Object lock, which stowage serve does not have: every bucket answers as an S3 bucket
 * created without it. Each answer comes after authentication and the bucket's lookup, and
 * is a 4xx, not NotImplemented: SDKs that retry every 5xx (the AWS SDK for Ruby) asked
 * four times and waited two seconds to learn that a 501 meant no.
 */
import { StowageError } from '../../errors.js';
import { bucketOf, type S3Request } from '../context.js';

/** GetObjectLockConfiguration: ObjectLockConfigurationNotFoundError. */
export function getObjectLockConfiguration(r: S3Request): void {
  const bucket = bucketOf(r);
  r.engine.headBucket(bucket);
  throw new StowageError(
    'E_NO_SUCH_BUCKET_CONFIG',
    `bucket "${bucket}" has no object lock configuration (stowage serve does not support object lock)`,
    { s3Code: 'ObjectLockConfigurationNotFoundError', details: { bucket } },
  );
}

/**
 * GetObjectRetention, PutObjectRetention, GetObjectLegalHold, PutObjectLegalHold:
 * InvalidRequest "Bucket is missing Object Lock Configuration", as S3 answers them on a
 * bucket without object lock, whether or not the object exists.
 */
export function objectLockSetting(r: S3Request): void {
  const bucket = bucketOf(r);
  r.engine.headBucket(bucket);
  throw new StowageError(
    'E_INVALID_REQUEST',
    `Bucket is missing Object Lock Configuration: bucket "${bucket}" has no object lock ` +
      `(stowage serve does not support it), so objects in it have no retention or legal hold`,
    { details: { bucket } },
  );
}
