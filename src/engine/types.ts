/**
 * The public shapes of the embedded object store engine. `engine.ts` implements them;
 * the S3 front end, the CLI and the background workers use only these.
 */
import type { Readable } from 'node:stream';

/** Checksum algorithms S3 clients send as `x-amz-checksum-<alg>`. */
export type ChecksumAlgorithm =
  | 'CRC32'
  | 'CRC32C'
  | 'CRC64NVME'
  | 'SHA1'
  | 'SHA256'
  | 'SHA512'
  | 'MD5'
  | 'XXHASH64'
  | 'XXHASH3'
  | 'XXHASH128';

/** How a multipart object's checksum was formed (S3's x-amz-checksum-type). */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** Base64 checksum values by algorithm, as S3 puts them on the wire. */
export type ChecksumValues = Partial<Record<ChecksumAlgorithm, string>>;

/**
 * Server-side encryption of an object version at rest (S3's x-amz-server-side-encryption).
 * AES256 is SSE-S3 (the data directory's master key); aws:kms and aws:kms:dsse use a
 * local key per KMS key id. The engine reports `kmsKeyId` as a key ARN.
 */
export interface ObjectEncryption {
  /**
   * `SSE-C`: encrypted under a key the client sends with every request (S3 reports it as
   * SSECustomerAlgorithm AES256); the key itself is never stored, only its MD5.
   */
  algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | 'SSE-C';
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
  /** SSE-C: the base64 MD5 of the customer's key, to tell a wrong key from the right one. */
  customerKeyMd5?: string;
}

/** Storage classes the engine accepts. REDUCED_REDUNDANCY is stored as STANDARD. */
export type StorageClass =
  | 'STANDARD'
  | 'STANDARD_IA'
  | 'ONEZONE_IA'
  | 'INTELLIGENT_TIERING'
  | 'GLACIER_IR'
  | 'GLACIER'
  | 'DEEP_ARCHIVE';

/** Bucket versioning state as S3 reports it (unversioned buckets report nothing). */
export type VersioningState = 'Unversioned' | 'Enabled' | 'Suspended';

/** Restore tiers of RestoreObject. */
export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';

/** Kinds of bucket sub-resource documents the engine stores for the S3 front end. */
export type BucketConfigKind =
  | 'policy'
  | 'cors'
  | 'lifecycle'
  | 'intelligent-tiering'
  | 'encryption'
  | 'public-access-block'
  | 'logging'
  | 'inventory'
  | 'replication'
  | 'tagging'
  | 'notification'
  | 'metrics'
  | 'analytics'
  | 'acl'
  | 'website'
  | 'ownership-controls'
  | 'object-lock'
  | 'request-payment'
  | 'accelerate';

/** Object Lock retention modes (S3's x-amz-object-lock-mode). */
export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** Object Lock legal hold status (S3's x-amz-object-lock-legal-hold). */
export type LegalHoldStatus = 'ON' | 'OFF';

/** A version's retention: it cannot be deleted before `retainUntil` (see objects/object-lock.ts). */
export interface ObjectRetention {
  mode: ObjectLockMode;
  retainUntil: Date;
}

/** The Object Lock settings of a version; each is absent when never set. */
export interface ObjectLockSettings {
  retention?: ObjectRetention;
  legalHold?: LegalHoldStatus;
}

/** A bucket as listed. */
export interface BucketInfo {
  name: string;
  region: string;
  createdAt: Date;
  owner: string;
  versioning: VersioningState;
  /** Object Lock is on: versions may carry retention and legal holds (never turned off). */
  objectLock: boolean;
}

/** Standard HTTP headers S3 stores with an object and returns on GET/HEAD. */
export interface ObjectHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
}

/** State of a Glacier-style restore, derived from the engine clock at read time. */
export interface RestoreStatus {
  /** True while the restore has been requested and has not completed yet. */
  ongoing: boolean;
  tier: RestoreTier;
  days: number;
  requestedAt: Date;
  /** When the restored copy becomes readable. */
  completesAt: Date;
  /** When the restored copy expires (set once complete, as S3 does). */
  expiresAt?: Date;
}

/** Everything the engine knows about one object version. */
export interface ObjectInfo {
  bucket: string;
  key: string;
  /** S3 version id; `"null"` for the null version. */
  versionId: string;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  /** Quoted as S3 does: `"<md5hex>"` or `"<hex>-<parts>"`. */
  etag: string;
  lastModified: Date;
  lastAccessedAt: Date;
  headers: ObjectHeaders;
  /** User metadata without the `x-amz-meta-` prefix, keys lowercased. */
  metadata: Record<string, string>;
  tags: Record<string, string>;
  storageClass: StorageClass;
  restore?: RestoreStatus;
  checksums: ChecksumValues;
  checksumType?: ChecksumType;
  /** Hex SHA-256 of the whole object; absent for multipart objects (kept per part). */
  sha256?: string;
  /** Number of parts for multipart objects, 0 for single PUTs. */
  partsCount: number;
  /** Sizes of each part of a multipart object (GetObject partNumber, GetObjectAttributes). */
  partSizes: number[];
  /** A multipart object's part checksums, in the upload's algorithm (when it had one). */
  partChecksums?: ChecksumValues[];
  /** Encryption at rest; absent when the version is stored in the clear. */
  encryption?: ObjectEncryption;
  /** Object Lock retention and legal hold; absent when the version has neither. */
  lock?: ObjectLockSettings;
}

/**
 * What a listing shows of an object (ListObjects' Contents): no headers, metadata, tags,
 * parts or encryption, whose JSON columns cost more to read than the rest of the row.
 */
export type ObjectSummary = Pick<
  ObjectInfo,
  | 'bucket'
  | 'key'
  | 'versionId'
  | 'isLatest'
  | 'isDeleteMarker'
  | 'size'
  | 'etag'
  | 'lastModified'
  | 'storageClass'
  | 'restore'
  | 'checksums'
  | 'checksumType'
>;

/** Conditions of a GET/HEAD/COPY (RFC 7232 as S3 applies it). */
export interface ReadConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: Date;
  ifUnmodifiedSince?: Date;
}

/** Conditions of a write (S3 conditional writes). */
export interface WriteConditions {
  /** `*` fails when the key exists. */
  ifNoneMatch?: string;
  /** The current object's ETag must equal this. */
  ifMatch?: string;
}

/** A byte range: inclusive `start`..`end`, or the last `suffix` bytes. */
export type ByteRange = { start: number; end?: number } | { suffix: number };

/** What a caller passes to putObject. */
export interface PutObjectOptions {
  /** Declared length; the body must match it exactly. */
  contentLength?: number;
  headers?: ObjectHeaders;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  storageClass?: string;
  /** Base64 MD5 the body must match (Content-MD5). */
  contentMd5?: string;
  /** Hex SHA-256 the body must match (a signed x-amz-content-sha256); see verifyDigests. */
  sha256?: string;
  /** Algorithm to compute and store even if no value is sent. */
  checksumAlgorithm?: ChecksumAlgorithm;
  /**
   * Expected checksum values. May be a promise for trailing checksums that arrive after
   * the body (aws-chunked with x-amz-trailer).
   */
  checksums?: ChecksumValues | Promise<ChecksumValues>;
  conditions?: WriteConditions;
  /** Aborts the write; nothing is stored. */
  signal?: AbortSignal;
  /** Encrypt the bytes at rest (omitted: stored in the clear). */
  encryption?: ObjectEncryption;
  /** SSE-C: the customer's 256-bit key (its MD5 must be `encryption.customerKeyMd5`). */
  customerKey?: Buffer;
  /**
   * The ACL of the new version, as the S3 front end serialises it (a canned ACL name or
   * a JSON grant list); omitted means private.
   */
  acl?: string;
  /** Object Lock settings of the new version (the bucket must have object lock). */
  lock?: ObjectLockSettings;
}

/** Result of a write that creates an object version. */
export interface PutObjectResult {
  etag: string;
  versionId: string;
  size: number;
  checksums: ChecksumValues;
  checksumType?: ChecksumType;
  encryption?: ObjectEncryption;
}

/** What a caller passes to getObject / headObject. */
export interface GetObjectOptions {
  versionId?: string;
  range?: ByteRange | string;
  /**
   * An If-Range validator (an entity tag as sent, or a date): the range applies only while
   * the object still has it; else the whole object is read (RFC 9110 §13.1.5).
   */
  ifRange?: string | Date;
  partNumber?: number;
  conditions?: ReadConditions;
  /** SSE-C: the key the version was written with; required for such a version, refused otherwise. */
  customerKey?: Buffer;
}

/** A readable object: metadata plus a stream of the requested bytes. */
export interface GetObjectResult {
  info: ObjectInfo;
  /** First and last byte returned (inclusive), when a range or part was asked for. */
  range?: { start: number; end: number };
  /** Bytes in `body`. */
  contentLength: number;
  body: Readable;
}

/** Options of deleteObject. */
export interface DeleteObjectOptions {
  versionId?: string;
  /**
   * S3's conditional delete (If-Match, or the ETag of a DeleteObjects item): an ETag, or `*`
   * for "only if it exists". Checked against the current version: E_PRECONDITION_FAILED on
   * another ETag, E_NO_SUCH_KEY when there is none (or it is a delete marker).
   */
  ifMatch?: string;
  /**
   * The caller may delete a version under GOVERNANCE retention (it sent
   * x-amz-bypass-governance-retention and holds s3:BypassGovernanceRetention).
   */
  bypassGovernance?: boolean;
}

/** Result of deleteObject, as S3 reports it. */
export interface DeleteObjectResult {
  versionId?: string;
  deleteMarker: boolean;
}

/** One entry of a batch delete result. */
export type DeleteObjectsItem =
  | {
      key: string;
      versionId?: string;
      ok: true;
      deleteMarker: boolean;
      deleteMarkerVersionId?: string;
    }
  | { key: string; versionId?: string; ok: false; code: string; message: string };

/** Options of copyObject. */
export interface CopyObjectOptions {
  sourceVersionId?: string;
  metadataDirective?: 'COPY' | 'REPLACE';
  taggingDirective?: 'COPY' | 'REPLACE';
  /** Used with REPLACE. */
  headers?: ObjectHeaders;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  storageClass?: string;
  /** Conditions on the source (x-amz-copy-source-if-*). */
  sourceConditions?: ReadConditions;
  /** Conditions on the destination. */
  conditions?: WriteConditions;
  /** The copy's ACL (a copy does not inherit the source's; omitted means private). */
  acl?: string;
  /** Object Lock settings of the copy (never the source's, as in S3). */
  lock?: ObjectLockSettings;
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Encryption of the copy (the destination's setting; omitted: in the clear). */
  encryption?: ObjectEncryption;
  /** SSE-C: the copy's key (with `encryption` SSE-C). */
  customerKey?: Buffer;
  /** SSE-C: the source's key (x-amz-copy-source-server-side-encryption-customer-key). */
  sourceCustomerKey?: Buffer;
  /**
   * The request states the copy's encryption (a header, or the bucket's configured default):
   * a copy onto itself is then legal even if the encryption stays the same, as in S3.
   */
  encryptionStated?: boolean;
  /**
   * Called once, before the copy's bytes move, with what its answer will say: a server
   * that starts answering a long copy before it is done (long-answer.ts) names these.
   */
  onStart?: (start: CopyStart) => void;
  /**
   * Called as the copy commits if the bucket's versioning changed while it ran, so that its
   * version id is not the one onStart named, with the one it gets instead. Returning false
   * (the first was already told to the client) fails the copy with
   * E_CONDITIONAL_REQUEST_CONFLICT instead, for it to be retried. Absent: the new id.
   */
  onVersionChange?: (versionId: string) => boolean;
}

/** Where UploadPartCopy takes its bytes from. */
export interface PartCopySource {
  bucket: string;
  key: string;
  versionId?: string;
  /** The bytes to copy (`bytes=a-b`, or parsed); the whole object when absent. */
  range?: ByteRange | string;
  conditions?: ReadConditions;
  /** SSE-C: the source's key. */
  customerKey?: Buffer;
}

/** What a copy's answer says, known before its bytes move (CopyObjectOptions.onStart). */
export interface CopyStart {
  sourceVersionId: string;
  /** The copy's version id: 'null' unless the bucket is versioning; absent for a part. */
  versionId?: string;
  encryption?: ObjectEncryption;
  /** The copy's size and tags (a lifecycle rule's filter may name them). */
  size: number;
  tags: Record<string, string>;
}

/** Result of copyObject. */
export interface CopyObjectResult extends PutObjectResult {
  lastModified: Date;
  sourceVersionId: string;
}

/** Options of listObjects (V1 and V2 share them). */
export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** Exclusive lower bound (start-after / marker). */
  startAfter?: string;
  /** Opaque token from a previous page. */
  continuationToken?: string;
  /** 1..1000, default 1000. */
  maxKeys?: number;
}

/** One page of listObjects. */
export interface ListObjectsResult<T extends ObjectSummary = ObjectInfo> {
  objects: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Token for the next page, when truncated. */
  nextContinuationToken?: string;
  /** The last key or prefix returned (ListObjects V1 NextMarker). */
  nextMarker?: string;
}

/** Options of listObjectVersions. */
export interface ListVersionsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys?: number;
}

/** One page of listObjectVersions: versions and delete markers, newest first per key. */
export interface ListVersionsResult {
  versions: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/** A multipart upload in progress. */
export interface UploadInfo {
  uploadId: string;
  bucket: string;
  key: string;
  initiatedAt: Date;
  storageClass: StorageClass;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  encryption?: ObjectEncryption;
  /** The ARN of the IAM user who created the upload; absent for the account itself. */
  initiator?: string;
}

/** Options of createMultipartUpload. */
export interface CreateMultipartOptions {
  headers?: ObjectHeaders;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  storageClass?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  /** The ACL of the completed object (see PutObjectOptions.acl). */
  acl?: string;
  /** Object Lock settings of the completed object (see PutObjectOptions.lock). */
  lock?: ObjectLockSettings;
  /** Encryption of every part and of the completed object. */
  encryption?: ObjectEncryption;
  /** The ARN of the IAM user creating the upload (see UploadInfo.initiator). */
  initiator?: string;
}

/** Options of uploadPart. */
export interface UploadPartOptions {
  contentLength?: number;
  contentMd5?: string;
  /** Hex SHA-256 the body must match (a signed x-amz-content-sha256); see verifyDigests. */
  sha256?: string;
  checksums?: ChecksumValues | Promise<ChecksumValues>;
  /** An algorithm the client announced for this part (e.g. its trailer), besides the upload's. */
  checksumAlgorithm?: ChecksumAlgorithm;
  signal?: AbortSignal;
  /** SSE-C: the upload's key, sent again with every part. */
  customerKey?: Buffer;
}

/** A stored part. */
export interface PartInfo {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: Date;
  checksums: ChecksumValues;
  encryption?: ObjectEncryption;
}

/** One entry of the CompleteMultipartUpload part list. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
  checksums?: ChecksumValues;
}

/** Options of completeMultipartUpload. */
export interface CompleteMultipartOptions {
  /** The whole-object checksum the client expects (FULL_OBJECT) or the composite one. */
  checksums?: ChecksumValues;
  /** The checksum type the client expects (x-amz-checksum-type): must be the upload's. */
  checksumType?: string;
  /** The object size the client expects (x-amz-mp-object-size). */
  objectSize?: number;
  conditions?: WriteConditions;
}

/** Options of listParts. */
export interface ListPartsOptions {
  partNumberMarker?: number;
  maxParts?: number;
}

/** One page of listParts. */
export interface ListPartsResult {
  upload: UploadInfo;
  parts: PartInfo[];
  isTruncated: boolean;
  nextPartNumberMarker?: number;
}

/** Options of listMultipartUploads. */
export interface ListUploadsOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  maxUploads?: number;
}

/** One page of listMultipartUploads. */
export interface ListUploadsResult {
  uploads: UploadInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
}

/** Options of restoreObject. */
export interface RestoreObjectOptions {
  versionId?: string;
  days: number;
  tier?: RestoreTier;
}

/** Result of restoreObject: 202 when a restore started, 200 when an existing copy was extended. */
export interface RestoreObjectResult {
  status: 'started' | 'extended';
  restore: RestoreStatus;
}

/** A source of the current time; tests and demos inject one to move time forward. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
