/** Operation -> handler. */
import type { S3Request } from '../context.js';
import { preflightCors } from '../cors/preflight.js';
import type { Operation } from '../router.js';
import * as acl from './acl.js';
import { deleteBucketDocument, getBucketDocument, putBucketDocument } from './bucket-documents.js';
import * as buckets from './buckets.js';
import { copyObject } from './copy.js';
import * as list from './list.js';
import * as mpu from './multipart.js';
import * as extras from './object-extras.js';
import * as objects from './objects.js';
import * as lock from './object-lock.js';
import * as billing from './payment-accelerate.js';
import { getBucketPolicyStatus } from './policy-status.js';
import { postObject } from '../post-object/handler.js';

/** A handler answers one routed request; errors it throws become S3 error responses. */
export type Handler = (r: S3Request) => Promise<void> | void;

/** Every operation's handler. */
export const HANDLERS: Record<Operation, Handler> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  HeadBucket: buckets.headBucket,
  DeleteBucket: buckets.deleteBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetObjectLockConfiguration: lock.getObjectLockConfiguration,
  PutObjectLockConfiguration: lock.putObjectLockConfiguration,
  GetBucketRequestPayment: billing.getBucketRequestPayment,
  PutBucketRequestPayment: billing.putBucketRequestPayment,
  GetBucketAccelerateConfiguration: billing.getBucketAccelerateConfiguration,
  PutBucketAccelerateConfiguration: billing.putBucketAccelerateConfiguration,
  GetBucketVersioning: buckets.getBucketVersioning,
  PutBucketVersioning: buckets.putBucketVersioning,
  GetBucketConfig: getBucketDocument,
  PutBucketConfig: putBucketDocument,
  DeleteBucketConfig: deleteBucketDocument,
  GetBucketAcl: acl.getBucketAcl,
  PutBucketAcl: acl.putBucketAcl,
  GetObjectAcl: acl.getObjectAcl,
  PutObjectAcl: acl.putObjectAcl,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  ListObjects: list.listObjectsV1,
  ListObjectsV2: list.listObjectsV2,
  ListObjectVersions: list.listObjectVersions,
  ListMultipartUploads: list.listMultipartUploads,
  DeleteObjects: extras.deleteObjects,
  PutObject: objects.putObject,
  CopyObject: copyObject,
  GetObject: objects.getObject,
  HeadObject: objects.headObject,
  DeleteObject: objects.deleteObject,
  GetObjectTagging: extras.getObjectTagging,
  PutObjectTagging: extras.putObjectTagging,
  DeleteObjectTagging: extras.deleteObjectTagging,
  GetObjectAttributes: extras.getObjectAttributes,
  GetObjectRetention: lock.getObjectRetention,
  PutObjectRetention: lock.putObjectRetention,
  GetObjectLegalHold: lock.getObjectLegalHold,
  PutObjectLegalHold: lock.putObjectLegalHold,
  RestoreObject: extras.restoreObject,
  PostObject: postObject,
  CreateMultipartUpload: mpu.createMultipartUpload,
  UploadPart: mpu.uploadPart,
  UploadPartCopy: mpu.uploadPartCopy,
  CompleteMultipartUpload: mpu.completeMultipartUpload,
  AbortMultipartUpload: mpu.abortMultipartUpload,
  ListParts: mpu.listParts,
  PreflightCors: preflightCors,
};
