/**
 * The CANONICAL desired state of one bucket: what {@link desiredState} produces from the
 * declaration and what a plan compares against the live state.
 *
 * Every S3 sub-resource is held in the exact input shape of its `@aws-sdk/client-s3` Put
 * command (the interfaces below are structurally those SDK types; `@aws-sdk/*` is only
 * imported by client/ and transfer/, and canonical.test.ts checks assignability), with the
 * defaults filled in the way S3 returns them from the matching Get command, so that after an
 * apply the live documents compare equal. Conventions:
 *
 * - A sub-resource that is `undefined` is not declared: stowage leaves it alone (or, with
 *   `--prune`, removes it). An empty list is never used to mean "not declared".
 * - Rule lists keep the declared order, except `tags` (sorted by Key) and `prefixes`
 *   (sorted, unique), whose order S3 does not keep.
 * - Lifecycle and replication rules always carry `ID`, `Status` and a `Filter` (`{}` when the
 *   rule applies to the whole bucket, never `{ Prefix: '' }`); the deprecated top-level
 *   `Prefix` is never used. A filter with one condition is that condition; with several,
 *   an `And` (tags in declared order).
 * - `ServerSideEncryptionConfiguration.Rules[0].BucketKeyEnabled` is always a boolean
 *   (S3 reports `false` when unset). Public-access-block always has all four booleans.
 * - `BucketLoggingStatus.LoggingEnabled.TargetPrefix` is always a string ('' when unset).
 * - Bucket ARNs (`arn:aws:s3:::name`) are used where S3 wants ARNs (inventory and
 *   replication destinations).
 * - `policy` is a parsed JSON object (not text): helper statements first (`StowagePublicRead`,
 *   `StowageDenyInsecureTransport`), then the declared statements in their order.
 */
import { INVENTORY_OPTIONAL_FIELDS } from '../s3api/documents/inventory.js';
import { S3_STORAGE_CLASSES } from '../storage-classes.js';

/** `PutBucketVersioningCommandInput.VersioningConfiguration` (MFA delete not managed). */
export interface VersioningConfiguration {
  Status: 'Enabled' | 'Suspended';
}

/** `PutBucketOwnershipControlsCommandInput.OwnershipControls`. */
export interface OwnershipControls {
  Rules: { ObjectOwnership: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter' }[];
}

/** A bucket policy as a parsed JSON document (`PutBucketPolicyCommandInput.Policy` is its text). */
export interface PolicyJson {
  Version: string;
  Id?: string;
  Statement: Record<string, unknown>[];
}

/** `CORSRule`. */
export interface CORSRule {
  ID?: string;
  AllowedHeaders?: string[];
  AllowedMethods: string[];
  AllowedOrigins: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

/** `CORSConfiguration`. */
export interface CORSConfiguration {
  CORSRules: CORSRule[];
}

/** `Tag`. */
export interface Tag {
  Key: string;
  Value: string;
}

/** `LifecycleRuleAndOperator`. */
export interface LifecycleRuleAndOperator {
  Prefix?: string;
  Tags?: Tag[];
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
}

/** `LifecycleRuleFilter`: exactly one of its fields (or `{ Prefix: '' }`). */
export interface LifecycleRuleFilter {
  Prefix?: string;
  Tag?: Tag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: LifecycleRuleAndOperator;
}

/** Storage classes a lifecycle transition may move objects to. */
export type TransitionStorageClass =
  'STANDARD_IA' | 'INTELLIGENT_TIERING' | 'ONEZONE_IA' | 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';

/** `Transition` (by days; dates are accepted as given). */
export interface Transition {
  Days?: number;
  Date?: Date;
  StorageClass: TransitionStorageClass;
}

/** `NoncurrentVersionTransition`. */
export interface NoncurrentVersionTransition {
  NoncurrentDays: number;
  StorageClass: TransitionStorageClass;
  NewerNoncurrentVersions?: number;
}

/** `LifecycleExpiration`. */
export interface LifecycleExpiration {
  Days?: number;
  Date?: Date;
  ExpiredObjectDeleteMarker?: boolean;
}

/** `LifecycleRule`. */
export interface LifecycleRule {
  ID: string;
  Status: 'Enabled' | 'Disabled';
  Filter: LifecycleRuleFilter;
  Transitions?: Transition[];
  Expiration?: LifecycleExpiration;
  NoncurrentVersionTransitions?: NoncurrentVersionTransition[];
  NoncurrentVersionExpiration?: { NoncurrentDays: number; NewerNoncurrentVersions?: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}

/** `BucketLifecycleConfiguration`. */
export interface BucketLifecycleConfiguration {
  Rules: LifecycleRule[];
}

/** `IntelligentTieringConfiguration`. */
export interface IntelligentTieringConfiguration {
  Id: string;
  Status: 'Enabled' | 'Disabled';
  Filter?: { Prefix?: string; Tag?: Tag; And?: { Prefix?: string; Tags?: Tag[] } };
  Tierings: { Days: number; AccessTier: 'ARCHIVE_ACCESS' | 'DEEP_ARCHIVE_ACCESS' }[];
}

/** `ServerSideEncryptionConfiguration`. */
export interface ServerSideEncryptionConfiguration {
  Rules: {
    ApplyServerSideEncryptionByDefault: {
      SSEAlgorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
      KMSMasterKeyID?: string;
    };
    BucketKeyEnabled: boolean;
  }[];
}

/** `PublicAccessBlockConfiguration` (all four flags always present). */
export interface PublicAccessBlockConfiguration {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

/** `BucketLoggingStatus` (target grants not managed). */
export interface BucketLoggingStatus {
  LoggingEnabled: { TargetBucket: string; TargetPrefix: string };
}

/** Fields an inventory report may include (S3's `InventoryOptionalField`): the front end's list. */
export { INVENTORY_OPTIONAL_FIELDS };

/** Storage classes a replication destination may use (any S3 knows). */
export const REPLICA_STORAGE_CLASSES = S3_STORAGE_CLASSES;

/** `InventoryConfiguration` (CSV/ORC/Parquet, no encryption of the report). */
export interface InventoryConfiguration {
  Id: string;
  IsEnabled: boolean;
  Destination: {
    S3BucketDestination: {
      Bucket: string;
      Format: 'CSV' | 'ORC' | 'Parquet';
      Prefix?: string;
      AccountId?: string;
    };
  };
  Filter?: { Prefix: string };
  IncludedObjectVersions: 'All' | 'Current';
  OptionalFields?: (typeof INVENTORY_OPTIONAL_FIELDS)[number][];
  Schedule: { Frequency: 'Daily' | 'Weekly' };
}

/** `ReplicationRule` (the V2 schema with Filter, Priority and DeleteMarkerReplication). */
export interface ReplicationRule {
  ID: string;
  Priority: number;
  Status: 'Enabled' | 'Disabled';
  Filter: { Prefix?: string; Tag?: Tag; And?: { Prefix?: string; Tags?: Tag[] } };
  DeleteMarkerReplication: { Status: 'Enabled' | 'Disabled' };
  Destination: {
    Bucket: string;
    StorageClass?: (typeof REPLICA_STORAGE_CLASSES)[number];
    Account?: string;
  };
}

/** `ReplicationConfiguration`; `Role` is '' when not declared (the embedded store needs none). */
export interface ReplicationConfiguration {
  Role: string;
  Rules: ReplicationRule[];
}

/** `ObjectLockConfiguration`. */
export interface ObjectLockConfiguration {
  ObjectLockEnabled: 'Enabled';
  Rule?: { DefaultRetention: { Mode: 'GOVERNANCE' | 'COMPLIANCE'; Days: number } };
}

/** S3's NotificationConfiguration: webhook targets are QueueConfigurations (src/webhook-arn.ts). */
export type NotificationConfiguration = Partial<
  Record<
    'QueueConfigurations' | 'TopicConfigurations' | 'LambdaFunctionConfigurations',
    NotificationTargetConfiguration[]
  >
>;

/** One target of a NotificationConfiguration (the ARN under its list's own key). */
export interface NotificationTargetConfiguration {
  Id: string;
  QueueArn?: string;
  TopicArn?: string;
  LambdaFunctionArn?: string;
  Events: string[];
  Filter?: { Key: { FilterRules: { Name: 'prefix' | 'suffix'; Value: string }[] } };
}

/** The whole desired state of one bucket; see the conventions at the top of this file. */
export interface DesiredBucket {
  name: string;
  /** Named store from `stores:`; undefined means the default store. */
  store?: string;
  region?: string;
  versioning?: VersioningConfiguration;
  objectLock?: ObjectLockConfiguration;
  ownershipControls?: OwnershipControls;
  /** Canned ACL (`private`, `public-read`, ...). */
  acl?: string;
  policy?: PolicyJson;
  cors?: CORSConfiguration;
  lifecycle?: BucketLifecycleConfiguration;
  intelligentTiering?: IntelligentTieringConfiguration[];
  encryption?: ServerSideEncryptionConfiguration;
  publicAccessBlock?: PublicAccessBlockConfiguration;
  logging?: BucketLoggingStatus;
  inventory?: InventoryConfiguration[];
  replication?: ReplicationConfiguration;
  /** Replication rule ID -> named store of its destination, for rules that name one. */
  replicationStores?: Record<string, string>;
  /** `Tagging.TagSet`, sorted by Key. */
  tags?: Tag[];
  notifications?: NotificationConfiguration;
  /** Folder placeholders (zero-byte keys ending in '/'), sorted. */
  prefixes?: string[];
}

/** `arn:aws:s3:::name` for a bucket name; an ARN is returned unchanged. */
export function bucketArn(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:s3:::${nameOrArn}`;
}

/** The bucket name of `arn:aws:s3:::name` (or of a plain name). */
export function bucketNameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf(':') + 1) : nameOrArn;
}
