/**
 * The actions on resource ARNs each S3 operation needs (AWS "Actions, resources, and
 * condition keys for Amazon S3"): what an identity or bucket policy must allow.
 */
import type { IncomingMessage } from 'node:http';
import { StowageError } from '../../errors.js';
import { parseCopySource } from '../copy-source.js';
import type { BUCKET_DOCUMENTS, Operation, Route } from '../router.js';

/** One action on one resource that must be allowed for the request to run. */
export interface RequestedAccess {
  /** `s3:GetObject` … */
  action: string;
  /** `arn:aws:s3:::bucket/key`, `arn:aws:s3:::bucket` or `*`. */
  resource: string;
  /** Whose bucket policy applies (the copy source's bucket for its read). */
  bucket?: string;
  /** The object key, for object resources. */
  key?: string;
  versionId?: string;
  /**
   * DeleteObjects: the keys are in the body, read after authorisation, so the resource
   * `arn:aws:s3:::bucket/*` stands for "every key". An Allow must cover every key, a Deny
   * that could match any key applies.
   */
  anyKey?: boolean;
  /**
   * PutObjectTagging: the tag set, which policies test as request condition keys, is in
   * the body; the access is judged once the body is read (authorize.ts).
   */
  tagsInBody?: boolean;
  /**
   * PutObjectRetention and PutObjectLegalHold: the settings, which policies test as
   * `s3:object-lock-*` condition keys, are in the body; judged once it is read.
   */
  lockInBody?: boolean;
}

type DocumentName = keyof typeof BUCKET_DOCUMENTS;

/** [Get, Put, Delete] action of each bucket document (Delete falls back to Put, as in S3). */
const DOCUMENT_ACTIONS: Record<DocumentName, [string, string, string?]> = {
  policy: ['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy'],
  cors: ['GetBucketCORS', 'PutBucketCORS'],
  lifecycle: ['GetLifecycleConfiguration', 'PutLifecycleConfiguration'],
  'intelligent-tiering': [
    'GetIntelligentTieringConfiguration',
    'PutIntelligentTieringConfiguration',
  ],
  encryption: ['GetEncryptionConfiguration', 'PutEncryptionConfiguration'],
  publicAccessBlock: ['GetBucketPublicAccessBlock', 'PutBucketPublicAccessBlock'],
  logging: ['GetBucketLogging', 'PutBucketLogging'],
  inventory: ['GetInventoryConfiguration', 'PutInventoryConfiguration'],
  replication: ['GetReplicationConfiguration', 'PutReplicationConfiguration'],
  tagging: ['GetBucketTagging', 'PutBucketTagging'],
  notification: ['GetBucketNotification', 'PutBucketNotification'],
  metrics: ['GetMetricsConfiguration', 'PutMetricsConfiguration'],
  analytics: ['GetAnalyticsConfiguration', 'PutAnalyticsConfiguration'],
  acl: ['GetBucketAcl', 'PutBucketAcl'],
  website: ['GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite'],
  // DeleteBucketOwnershipControls needs s3:PutBucketOwnershipControls (its API page).
  ownershipControls: ['GetBucketOwnershipControls', 'PutBucketOwnershipControls'],
};

/** Actions on the bucket itself. */
const BUCKET_OPERATIONS: Partial<Record<Operation, string>> = {
  HeadBucket: 'ListBucket',
  DeleteBucket: 'DeleteBucket',
  GetBucketLocation: 'GetBucketLocation',
  GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 'PutBucketObjectLockConfiguration',
  // Authorised by its handler, as a PutObject of the form's key, once the form is read;
  // this bucket-wide entry only keeps any other path strict.
  PostObject: 'PutObject',
  GetBucketRequestPayment: 'GetBucketRequestPayment',
  PutBucketRequestPayment: 'PutBucketRequestPayment',
  GetBucketAccelerateConfiguration: 'GetAccelerateConfiguration',
  PutBucketAccelerateConfiguration: 'PutAccelerateConfiguration',
  GetBucketVersioning: 'GetBucketVersioning',
  PutBucketVersioning: 'PutBucketVersioning',
  GetBucketAcl: 'GetBucketAcl',
  PutBucketAcl: 'PutBucketAcl',
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  ListMultipartUploads: 'ListBucketMultipartUploads',
};

/** Actions on an object: [without versionId, with versionId]. */
const OBJECT_OPERATIONS: Partial<Record<Operation, [string, string]>> = {
  GetObject: ['GetObject', 'GetObjectVersion'],
  HeadObject: ['GetObject', 'GetObjectVersion'],
  PutObject: ['PutObject', 'PutObject'],
  CreateMultipartUpload: ['PutObject', 'PutObject'],
  UploadPart: ['PutObject', 'PutObject'],
  CompleteMultipartUpload: ['PutObject', 'PutObject'],
  CopyObject: ['PutObject', 'PutObject'],
  UploadPartCopy: ['PutObject', 'PutObject'],
  DeleteObject: ['DeleteObject', 'DeleteObjectVersion'],
  GetObjectAcl: ['GetObjectAcl', 'GetObjectVersionAcl'],
  PutObjectAcl: ['PutObjectAcl', 'PutObjectVersionAcl'],
  GetObjectTagging: ['GetObjectTagging', 'GetObjectVersionTagging'],
  PutObjectTagging: ['PutObjectTagging', 'PutObjectVersionTagging'],
  DeleteObjectTagging: ['DeleteObjectTagging', 'DeleteObjectVersionTagging'],
  RestoreObject: ['RestoreObject', 'RestoreObject'],
  GetObjectRetention: ['GetObjectRetention', 'GetObjectRetention'],
  PutObjectRetention: ['PutObjectRetention', 'PutObjectRetention'],
  GetObjectLegalHold: ['GetObjectLegalHold', 'GetObjectLegalHold'],
  PutObjectLegalHold: ['PutObjectLegalHold', 'PutObjectLegalHold'],
  AbortMultipartUpload: ['AbortMultipartUpload', 'AbortMultipartUpload'],
  ListParts: ['ListMultipartUploadParts', 'ListMultipartUploadParts'],
};

/**
 * The writes whose headers give the new object its attributes: ACL, tags and Object Lock
 * settings, each needing its own permission and giving its condition keys.
 */
export const OBJECT_WRITES: ReadonlySet<string> = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
]);

function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

function objectAccess(
  action: string,
  bucket: string,
  key: string,
  versionId?: string,
): RequestedAccess {
  const a: RequestedAccess = {
    action: `s3:${action}`,
    resource: `${bucketArn(bucket)}/${key}`,
    bucket,
    key,
  };
  if (versionId !== undefined) a.versionId = versionId;
  return a;
}

/** Whether a header sets an ACL: a canned ACL or a grant. */
function isAclHeader(name: string): boolean {
  return name === 'x-amz-acl' || name.startsWith('x-amz-grant-');
}

export function headerOf(headers: IncomingMessage['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The actions and resources an operation needs. Every Operation maps to at least one,
 * except the CORS preflight, which S3 answers before authentication.
 *
 * @example
 * requestedAccesses(route('GET', '/b/k', '', {}), {}); // [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', … }]
 */
export function requestedAccesses(
  route: Route,
  headers: IncomingMessage['headers'],
): RequestedAccess[] {
  const { operation, bucket, key } = route;
  if (operation === 'ListBuckets') return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  // A CORS preflight is answered without authentication or authorisation (front.ts).
  if (operation === 'PreflightCors') return [];
  const b = bucket ?? '';
  const onBucket = (action: string): RequestedAccess[] => [
    { action: `s3:${action}`, resource: bucketArn(b), bucket: b },
  ];
  if (operation === 'CreateBucket') {
    // A new bucket's ACL and Object Ownership need their own permissions too (S3's
    // "Required permissions" for CreateBucket): else a key that may only create buckets
    // could make one public.
    // "If you set the ACL to private, or if you don't specify any ACLs, only the
    // s3:CreateBucket permission is required" (CreateBucket API page): rclone sends private.
    const names = Object.keys(headers);
    const acl = headerOf(headers, 'x-amz-acl');
    const setsAcl =
      names.some((n) => n.startsWith('x-amz-grant-')) || (acl !== undefined && acl !== 'private');
    return [
      ...onBucket('CreateBucket'),
      ...(setsAcl ? onBucket('PutBucketAcl') : []),
      ...(names.includes('x-amz-object-ownership') ? onBucket('PutBucketOwnershipControls') : []),
      // A bucket with Object Lock is also a versioned one (S3's CreateBucket permissions).
      ...(headerOf(headers, 'x-amz-bucket-object-lock-enabled')?.trim().toLowerCase() === 'true'
        ? [...onBucket('PutBucketObjectLockConfiguration'), ...onBucket('PutBucketVersioning')]
        : []),
    ];
  }
  const bucketAction = BUCKET_OPERATIONS[operation];
  if (bucketAction) return onBucket(bucketAction);
  if (operation === 'GetBucketPolicyStatus') return onBucket('GetBucketPolicyStatus');
  if (
    operation === 'GetBucketConfig' ||
    operation === 'PutBucketConfig' ||
    operation === 'DeleteBucketConfig'
  ) {
    const [get, put, del] = DOCUMENT_ACTIONS[route.subresource ?? 'policy'];
    if (operation === 'GetBucketConfig') return onBucket(get);
    return onBucket(operation === 'PutBucketConfig' ? put : (del ?? put));
  }
  if (operation === 'DeleteObjects') {
    return [{ action: 's3:DeleteObject', resource: `${bucketArn(b)}/*`, bucket: b, anyKey: true }];
  }
  const versionId = route.query.get('versionId') ?? undefined;
  const k = key ?? '';
  if (operation === 'GetObjectAttributes') {
    return versionId === undefined
      ? [objectAccess('GetObject', b, k), objectAccess('GetObjectAttributes', b, k)]
      : [
          objectAccess('GetObjectVersion', b, k, versionId),
          objectAccess('GetObjectVersionAttributes', b, k, versionId),
        ];
  }
  const pair = OBJECT_OPERATIONS[operation];
  if (!pair) throw new StowageError('E_INTERNAL', `no IAM action for operation ${operation}`);
  const out = [objectAccess(versionId === undefined ? pair[0] : pair[1], b, k, versionId)];
  if (operation === 'PutObjectTagging') out[0]!.tagsInBody = true;
  if (operation === 'PutObjectRetention' || operation === 'PutObjectLegalHold')
    out[0]!.lockInBody = true;
  if (operation === 'CopyObject' || operation === 'UploadPartCopy') {
    // Parsed as the handler parses it, and refused here when malformed: the source is
    // always authorised before anything is copied from it.
    const source = parseCopySource(headerOf(headers, 'x-amz-copy-source') ?? '');
    out.push(
      objectAccess(
        source.versionId === undefined ? 'GetObject' : 'GetObjectVersion',
        source.bucket,
        source.key,
        source.versionId,
      ),
    );
  }
  // A write that also sets the new object's ACL or tags needs those permissions too, as in
  // S3: else a key that may only upload could make its uploads public.
  if (OBJECT_WRITES.has(operation)) {
    const names = Object.keys(headers);
    if (names.some(isAclHeader)) out.push(objectAccess('PutObjectAcl', b, k));
    if (names.includes('x-amz-tagging')) out.push(objectAccess('PutObjectTagging', b, k));
    // Object Lock settings given with the write need their own permissions, as in S3.
    if (
      names.includes('x-amz-object-lock-mode') ||
      names.includes('x-amz-object-lock-retain-until-date')
    )
      out.push(objectAccess('PutObjectRetention', b, k));
    if (names.includes('x-amz-object-lock-legal-hold'))
      out.push(objectAccess('PutObjectLegalHold', b, k));
  }
  return out;
}
