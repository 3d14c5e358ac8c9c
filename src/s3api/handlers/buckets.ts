/** Bucket operations: list, create, head, delete, location, versioning. */
import { StowageError } from '../../errors.js';
import { bucketOf, readSmallBody, type S3Request } from '../context.js';
import { sendEmpty, sendXml } from '../respond.js';
import { applyCreateBucketAcl } from './acl.js';
import { childText, parseXml } from '../xml/parse.js';
import { OWNER_ID } from '../acl/grants.js';

/** ListBuckets. */
export function listBuckets(r: S3Request): void {
  const buckets = r.engine.listBuckets();
  sendXml(r.res, 200, 'ListAllMyBucketsResult', {
    Owner: { ID: OWNER_ID, DisplayName: 'stowage' },
    Buckets: {
      Bucket: buckets.map((b) => ({
        Name: b.name,
        CreationDate: b.createdAt,
        BucketRegion: b.region,
      })),
    },
  });
}

/** CreateBucket with an optional CreateBucketConfiguration/LocationConstraint. */
export async function createBucket(r: S3Request): Promise<void> {
  const body = await readSmallBody(r, 64 * 1024);
  let region: string | undefined;
  if (body.length > 0) {
    const doc = parseXml(body, 'CreateBucketConfiguration');
    region = childText(doc, 'LocationConstraint');
  }
  const bucket = bucketOf(r);
  const lock = r.req.headers['x-amz-bucket-object-lock-enabled'];
  if (String(lock).toLowerCase() === 'true') {
    throw new StowageError(
      'E_NOT_IMPLEMENTED',
      'object lock is not supported by stowage serve: create the bucket without x-amz-bucket-object-lock-enabled',
    );
  }
  await r.engine.createBucket(bucket, region ? { region } : {});
  await applyCreateBucketAcl(r, bucket);
  r.res.setHeader('Location', `/${bucket}`);
  sendEmpty(r.res, 200);
}

/** HeadBucket. */
export function headBucket(r: S3Request): void {
  const info = r.engine.headBucket(bucketOf(r));
  r.res.setHeader('x-amz-bucket-region', info.region);
  sendEmpty(r.res, 200);
}

/** DeleteBucket. */
export async function deleteBucket(r: S3Request): Promise<void> {
  await r.engine.deleteBucket(bucketOf(r));
  sendEmpty(r.res, 204);
}

/** GetBucketLocation: us-east-1 is reported as an empty constraint, as S3 does. */
export function getBucketLocation(r: S3Request): void {
  const info = r.engine.headBucket(bucketOf(r));
  sendXml(r.res, 200, 'LocationConstraint', info.region === 'us-east-1' ? '' : info.region);
}

/**
 * GetObjectLockConfiguration: stowage serve has no object lock, so every bucket answers
 * ObjectLockConfigurationNotFoundError, as an S3 bucket created without it does.
 */
export function getObjectLockConfiguration(r: S3Request): void {
  const bucket = bucketOf(r);
  r.engine.headBucket(bucket);
  throw new StowageError(
    'E_NO_SUCH_BUCKET_CONFIG',
    `bucket "${bucket}" has no object lock configuration (stowage serve does not support object lock)`,
    { s3Code: 'ObjectLockConfigurationNotFoundError', details: { bucket } },
  );
}

/** GetBucketVersioning: an unversioned bucket has no Status element. */
export function getBucketVersioning(r: S3Request): void {
  const state = r.engine.getBucketVersioning(bucketOf(r));
  sendXml(r.res, 200, 'VersioningConfiguration', state === 'Unversioned' ? {} : { Status: state });
}

/** PutBucketVersioning. MFA Delete is not supported. */
export async function putBucketVersioning(r: S3Request): Promise<void> {
  const doc = parseXml(await readSmallBody(r, 64 * 1024), 'VersioningConfiguration');
  const status = childText(doc, 'Status');
  const mfa = childText(doc, 'MfaDelete');
  if (mfa === 'Enabled') throw new StowageError('E_NOT_IMPLEMENTED', 'MFA Delete is not supported');
  if (status === undefined)
    throw new StowageError('E_MALFORMED_XML', 'VersioningConfiguration needs a Status');
  await r.engine.putBucketVersioning(bucketOf(r), status as 'Enabled');
  sendEmpty(r.res, 200);
}
