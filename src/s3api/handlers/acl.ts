/**
 * GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl, and the `x-amz-acl` /
 * `x-amz-grant-*` headers of CreateBucket, PutObject, CopyObject and
 * CreateMultipartUpload. A bucket whose PublicAccessBlock has BlockPublicAcls refuses
 * public ACLs with AccessDenied, as S3 does.
 */
import { StowageError } from '../../errors.js';
import { bucketAclOf, objectAclOf } from '../acl/index.js';
import { cannedGrants, isPublicAcl, storeAcl, type AclTarget, type Grant } from '../acl/grants.js';
import { aclFromHeaders } from '../acl/headers.js';
import {
  aclsDisabled,
  OBJECT_OWNERSHIP,
  refuseAclUpdate,
  refuseDisabledAcl,
  refuseEnforcedOverAcl,
} from '../acl/ownership.js';
import { S3_XMLNS } from '../xml/build.js';
import { buildAccessControlPolicy, parseAccessControlPolicy } from '../acl/xml.js';
import { bucketOf, header, keyOf, param, type S3Request } from '../context.js';
import { readSmallBody } from '../small-body.js';
import { publicAccessBlockOf } from '../policy/public-access-block.js';
import { sendEmpty } from '../respond.js';

function headerGrants(r: S3Request, target: AclTarget): Grant[] | undefined {
  const acl = aclFromHeaders((n) => header(r, n), target);
  if (acl === undefined) return undefined;
  return 'canned' in acl ? cannedGrants(acl.canned) : acl.grants;
}

/** Throws AccessDenied if the grants are public and the bucket blocks public ACLs. */
function checkBlockPublicAcls(r: S3Request, bucket: string, grants: readonly Grant[]): void {
  if (!isPublicAcl(grants)) return;
  if (publicAccessBlockOf(r.engine, bucket).BlockPublicAcls) {
    throw new StowageError(
      'E_ACCESS_DENIED',
      `public ACLs are blocked on bucket "${bucket}": its PublicAccessBlock has BlockPublicAcls=true`,
      { details: { bucket } },
    );
  }
}

/**
 * The ACL a write request sets on its new object (PutObject, CopyObject,
 * CreateMultipartUpload), in stored form: undefined for private or when none is given.
 */
export function objectAclForWrite(r: S3Request): string | undefined {
  const grants = headerGrants(r, 'object');
  if (grants === undefined) return undefined;
  refuseDisabledAcl(r.engine, bucketOf(r), grants);
  checkBlockPublicAcls(r, bucketOf(r), grants);
  return storeAcl(grants);
}

/**
 * CreateBucket's `x-amz-object-ownership` and ACL headers, checked before the bucket is
 * made (a refused request must not leave a bucket behind): an ACL header that is not one
 * is refused here, and the ownership must be one of S3's three settings, and not
 * BucketOwnerEnforced beside an ACL header granting others access.
 */
export function createBucketOwnership(r: S3Request, bucket: string): string | undefined {
  const grants = headerGrants(r, 'bucket');
  const ownership = header(r, 'x-amz-object-ownership');
  if (ownership === undefined) return undefined;
  if (!OBJECT_OWNERSHIP.includes(ownership)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `x-amz-object-ownership must be ${OBJECT_OWNERSHIP.join(', ')}, got "${ownership}"`,
      { details: { argumentName: 'x-amz-object-ownership', argumentValue: ownership } },
    );
  }
  if (ownership === 'BucketOwnerEnforced' && grants) refuseEnforcedOverAcl(bucket, grants);
  return ownership;
}

/**
 * The documents CreateBucket's ACL and Object Ownership headers give the new bucket (none,
 * one or both), for the engine to store with the bucket.
 */
export function createBucketAclDocuments(
  r: S3Request,
  ownership: string | undefined,
): Partial<Record<'ownership-controls' | 'acl', string>> {
  const out: Partial<Record<'ownership-controls' | 'acl', string>> = {};
  if (ownership !== undefined) {
    out['ownership-controls'] =
      `<OwnershipControls xmlns="${S3_XMLNS}"><Rule><ObjectOwnership>${ownership}` +
      `</ObjectOwnership></Rule></OwnershipControls>`;
  }
  const grants = headerGrants(r, 'bucket');
  const stored = grants === undefined ? undefined : storeAcl(grants);
  if (stored !== undefined) out.acl = stored;
  return out;
}

/** The grants of a PUT ?acl: from the headers or the body, never both. */
async function grantsToPut(r: S3Request, target: AclTarget): Promise<Grant[]> {
  const body = await readSmallBody(r, 64 * 1024);
  const fromHeaders = headerGrants(r, target);
  const hasBody = body.toString('utf8').trim() !== '';
  if (fromHeaders !== undefined && hasBody) {
    throw new StowageError(
      'E_INVALID_REQUEST',
      'send the ACL either in x-amz-acl / x-amz-grant-* headers or as an AccessControlPolicy body, not both',
    );
  }
  if (fromHeaders !== undefined) return fromHeaders;
  if (!hasBody) {
    // S3's answer names the header it looked for first.
    throw new StowageError(
      'E_MISSING_SECURITY_HEADER',
      'PUT ?acl needs an x-amz-acl header, x-amz-grant-* headers or an AccessControlPolicy body',
      { details: { missingHeaderName: 'x-amz-acl' } },
    );
  }
  return parseAccessControlPolicy(body, { requireOwner: true });
}

function sendPolicy(r: S3Request, grants: readonly Grant[]): void {
  const xml = buildAccessControlPolicy(grants);
  r.res.statusCode = 200;
  r.res.setHeader('Content-Type', 'application/xml');
  r.res.setHeader('Content-Length', Buffer.byteLength(xml));
  r.res.end(xml);
}

/** GetBucketAcl. */
export function getBucketAcl(r: S3Request): void {
  const bucket = bucketOf(r);
  const grants = bucketAclOf(r.engine, bucket);
  // With ACLs disabled S3 shows the owner's full control, whatever was stored before.
  sendPolicy(r, aclsDisabled(r.engine, bucket) ? cannedGrants('private') : grants);
}

/** PutBucketAcl. */
export async function putBucketAcl(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  const grants = await grantsToPut(r, 'bucket');
  r.engine.headBucket(bucket);
  refuseAclUpdate(r.engine, bucket);
  checkBlockPublicAcls(r, bucket, grants);
  const stored = storeAcl(grants);
  if (stored === undefined) await r.engine.deleteBucketConfig(bucket, 'acl');
  else await r.engine.putBucketConfig(bucket, 'acl', stored);
  sendEmpty(r.res, 200);
}

/** GetObjectAcl (`versionId` for an older version). */
export function getObjectAcl(r: S3Request): void {
  const bucket = bucketOf(r);
  const grants = objectAclOf(r.engine, bucket, keyOf(r), param(r, 'versionId'));
  sendPolicy(r, aclsDisabled(r.engine, bucket) ? cannedGrants('private') : grants);
}

/** PutObjectAcl (`versionId` for an older version). */
export async function putObjectAcl(r: S3Request): Promise<void> {
  const bucket = bucketOf(r);
  const key = keyOf(r);
  const versionId = param(r, 'versionId');
  const grants = await grantsToPut(r, 'object');
  // NoSuchKey before AccessDenied: the object must exist for its ACL to matter.
  r.engine.checkObjectAclTarget(bucket, key, versionId);
  refuseAclUpdate(r.engine, bucket);
  checkBlockPublicAcls(r, bucket, grants);
  const result = await r.engine.putObjectAcl(bucket, key, storeAcl(grants), versionId);
  if (versionId !== undefined) r.res.setHeader('x-amz-version-id', result.versionId);
  sendEmpty(r.res, 200);
}
