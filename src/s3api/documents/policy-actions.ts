/**
 * The actions of the `s3` service prefix (AWS Service Authorization Reference, "Actions
 * defined by Amazon S3"), grouped by the resource type they apply to. A bucket policy
 * may only name these; policy evaluation maps each S3 operation to one of them.
 */
import { globMatcher } from '../policy/glob-match.js';

/** Actions on objects: resource `arn:aws:s3:::bucket/key`. */
const OBJECT_ACTIONS = [
  'AbortMultipartUpload',
  'BypassGovernanceRetention',
  'DeleteObject',
  'DeleteObjectTagging',
  'DeleteObjectVersion',
  'DeleteObjectVersionTagging',
  'GetObject',
  'GetObjectAcl',
  'GetObjectAttributes',
  'GetObjectLegalHold',
  'GetObjectRetention',
  'GetObjectTagging',
  'GetObjectTorrent',
  'GetObjectVersion',
  'GetObjectVersionAcl',
  'GetObjectVersionAttributes',
  'GetObjectVersionForReplication',
  'GetObjectVersionTagging',
  'GetObjectVersionTorrent',
  'InitiateReplication',
  'ListMultipartUploadParts',
  'ObjectOwnerOverrideToBucketOwner',
  'PutObject',
  'PutObjectAcl',
  'PutObjectLegalHold',
  'PutObjectRetention',
  'PutObjectTagging',
  'PutObjectVersionAcl',
  'PutObjectVersionTagging',
  'ReplicateDelete',
  'ReplicateObject',
  'ReplicateTags',
  'RestoreObject',
] as const;

/** Actions on buckets: resource `arn:aws:s3:::bucket`. */
const BUCKET_ACTIONS = [
  'CreateBucket',
  'CreateBucketMetadataTableConfiguration',
  'CreateSession',
  'DeleteBucket',
  'DeleteBucketMetadataTableConfiguration',
  'DeleteBucketOwnershipControls',
  'DeleteBucketPolicy',
  'DeleteBucketWebsite',
  'GetAccelerateConfiguration',
  'GetAnalyticsConfiguration',
  'GetBucketAbac',
  'GetBucketAcl',
  'GetBucketCORS',
  'GetBucketLocation',
  'GetBucketLogging',
  'GetBucketMetadataTableConfiguration',
  'GetBucketNotification',
  'GetBucketObjectLockConfiguration',
  'GetBucketOwnershipControls',
  'GetBucketPolicy',
  'GetBucketPolicyStatus',
  'GetBucketPublicAccessBlock',
  'GetBucketRequestPayment',
  'GetBucketTagging',
  'GetBucketVersioning',
  'GetBucketWebsite',
  'GetEncryptionConfiguration',
  'GetIntelligentTieringConfiguration',
  'GetInventoryConfiguration',
  'GetLifecycleConfiguration',
  'GetMetricsConfiguration',
  'GetReplicationConfiguration',
  'ListBucket',
  'ListBucketMultipartUploads',
  'ListBucketVersions',
  'PauseReplication',
  'PutAccelerateConfiguration',
  'PutAnalyticsConfiguration',
  'PutBucketAbac',
  'PutBucketAcl',
  'PutBucketCORS',
  'PutBucketLogging',
  'PutBucketNotification',
  'PutBucketObjectLockConfiguration',
  'PutBucketOwnershipControls',
  'PutBucketPolicy',
  'PutBucketPublicAccessBlock',
  'PutBucketRequestPayment',
  'PutBucketTagging',
  'PutBucketVersioning',
  'PutBucketWebsite',
  'PutEncryptionConfiguration',
  'PutIntelligentTieringConfiguration',
  'PutInventoryConfiguration',
  'PutLifecycleConfiguration',
  'PutMetricsConfiguration',
  'PutReplicationConfiguration',
  'UpdateBucketMetadataInventoryTableConfiguration',
  'UpdateBucketMetadataJournalTableConfiguration',
] as const;

/**
 * Actions on other resource types (account, access points, jobs, Storage Lens, Access
 * Grants, Multi-Region Access Points). They are valid action names, but apply to no
 * bucket or object, so a statement that names only these applies to nothing.
 */
const OTHER_ACTIONS = [
  'AssociateAccessGrantsIdentityCenter',
  'CreateAccessGrant',
  'CreateAccessGrantsInstance',
  'CreateAccessGrantsLocation',
  'CreateAccessPoint',
  'CreateAccessPointForObjectLambda',
  'CreateJob',
  'CreateMultiRegionAccessPoint',
  'CreateStorageLensGroup',
  'DeleteAccessGrant',
  'DeleteAccessGrantsInstance',
  'DeleteAccessGrantsInstanceResourcePolicy',
  'DeleteAccessGrantsLocation',
  'DeleteAccessPoint',
  'DeleteAccessPointForObjectLambda',
  'DeleteAccessPointPolicy',
  'DeleteAccessPointPolicyForObjectLambda',
  'DeleteAccessPointScope',
  'DeleteJobTagging',
  'DeleteMultiRegionAccessPoint',
  'DeleteStorageLensConfiguration',
  'DeleteStorageLensConfigurationTagging',
  'DeleteStorageLensGroup',
  'DescribeJob',
  'DescribeMultiRegionAccessPointOperation',
  'DissociateAccessGrantsIdentityCenter',
  'GetAccessGrant',
  'GetAccessGrantsInstance',
  'GetAccessGrantsInstanceForPrefix',
  'GetAccessGrantsInstanceResourcePolicy',
  'GetAccessGrantsLocation',
  'GetAccessPoint',
  'GetAccessPointConfigurationForObjectLambda',
  'GetAccessPointForObjectLambda',
  'GetAccessPointPolicy',
  'GetAccessPointPolicyForObjectLambda',
  'GetAccessPointPolicyStatus',
  'GetAccessPointPolicyStatusForObjectLambda',
  'GetAccessPointScope',
  'GetAccountPublicAccessBlock',
  'GetDataAccess',
  'GetJobTagging',
  'GetMultiRegionAccessPoint',
  'GetMultiRegionAccessPointPolicy',
  'GetMultiRegionAccessPointPolicyStatus',
  'GetMultiRegionAccessPointRoutes',
  'GetStorageLensConfiguration',
  'GetStorageLensConfigurationTagging',
  'GetStorageLensDashboard',
  'GetStorageLensGroup',
  'ListAccessGrants',
  'ListAccessGrantsInstances',
  'ListAccessGrantsLocations',
  'ListAccessPoints',
  'ListAccessPointsForDirectoryBuckets',
  'ListAccessPointsForObjectLambda',
  'ListAllMyBuckets',
  'ListCallerAccessGrants',
  'ListJobs',
  'ListMultiRegionAccessPoints',
  'ListStorageLensConfigurations',
  'ListStorageLensGroups',
  'ListTagsForResource',
  'PutAccessGrantsInstanceResourcePolicy',
  'PutAccessPointConfigurationForObjectLambda',
  'PutAccessPointPolicy',
  'PutAccessPointPolicyForObjectLambda',
  'PutAccessPointPublicAccessBlock',
  'PutAccessPointScope',
  'PutAccountPublicAccessBlock',
  'PutJobTagging',
  'PutMultiRegionAccessPointPolicy',
  'PutStorageLensConfiguration',
  'PutStorageLensConfigurationTagging',
  'SubmitMultiRegionAccessPointRoutes',
  'TagResource',
  'UntagResource',
  'UpdateAccessGrantsLocation',
  'UpdateJobPriority',
  'UpdateJobStatus',
  'UpdateStorageLensGroup',
] as const;

/** What an action applies to. */
export type S3ActionScope = 'object' | 'bucket' | 'other';

/** Every S3 action name (without the `s3:` prefix) and what it applies to. */
export const S3_ACTIONS: ReadonlyMap<string, S3ActionScope> = new Map<string, S3ActionScope>([
  ...OBJECT_ACTIONS.map((a) => [a, 'object'] as const),
  ...BUCKET_ACTIONS.map((a) => [a, 'bucket'] as const),
  ...OTHER_ACTIONS.map((a) => [a, 'other'] as const),
]);

const LOWER = new Map([...S3_ACTIONS].map(([name, scope]) => [name.toLowerCase(), scope]));

/**
 * The scopes of the S3 actions `name` (no prefix; may hold `*`/`?`) matches, or an empty
 * set when it names no S3 action. Action names are case-insensitive, as in IAM.
 */
export function actionScopes(name: string): Set<S3ActionScope> {
  if (!/[*?]/.test(name)) {
    const scope = LOWER.get(name.toLowerCase());
    return new Set(scope ? [scope] : []);
  }
  const re = globMatcher(name);
  const scopes = new Set<S3ActionScope>();
  for (const [n, scope] of S3_ACTIONS) if (re.test(n)) scopes.add(scope);
  return scopes;
}
