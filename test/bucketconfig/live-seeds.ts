/**
 * Seed 000's bucket documents (§1.3 policy, §1.4 CORS, §2.1 Intelligent-Tiering, §3.1 backup
 * lifecycle, §10.2 encryption, §10.3 public access block, §10.4 logging, §11.2 inventory,
 * §12.1 replication) in the @aws-sdk/client-s3 put-call shapes, for a given set of buckets.
 */
import type { SubResourceValues } from '../../src/client/bucket-config/index.js';
import { SEED_000_LIFECYCLE, seedBucketPolicy } from '../fixtures/seed-policies.js';

/** The buckets the documents point at. */
export interface SeedBuckets {
  bucket: string;
  logs: string;
  replica: string;
}

export function seedDocuments(b: SeedBuckets): Omit<SubResourceValues, 'notifications'> {
  return {
    versioning: { Status: 'Enabled' },
    // Not in the seeds: a retention for backups, ACLs kept usable, a public-read bucket.
    objectLock: {
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
    },
    ownershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
    acl: 'public-read',
    policy: seedBucketPolicy(b.bucket),
    cors: {
      CORSRules: [
        {
          AllowedOrigins: [
            'https://ziggie.cloud',
            'https://*.ziggie.cloud',
            'http://localhost:3000',
          ],
          AllowedMethods: ['GET', 'HEAD'],
          AllowedHeaders: ['*'],
          MaxAgeSeconds: 3600,
          ExposeHeaders: ['ETag'],
        },
      ],
    },
    intelligentTiering: [
      {
        Id: 'GameAssetsTiering',
        Status: 'Enabled',
        Filter: { Prefix: 'game-assets/' },
        Tierings: [
          { Days: 90, AccessTier: 'ARCHIVE_ACCESS' },
          { Days: 180, AccessTier: 'DEEP_ARCHIVE_ACCESS' },
        ],
      },
    ],
    lifecycle: { Rules: SEED_000_LIFECYCLE },
    encryption: {
      Rules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true },
      ],
    },
    publicAccessBlock: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
    logging: { LoggingEnabled: { TargetBucket: b.logs, TargetPrefix: 's3-access-logs/' } },
    inventory: [
      {
        Destination: {
          S3BucketDestination: {
            Bucket: `arn:aws:s3:::${b.logs}`,
            Prefix: 'inventory',
            Format: 'CSV',
          },
        },
        IsEnabled: true,
        Id: 'DailyInventory',
        IncludedObjectVersions: 'Current',
        OptionalFields: ['Size', 'StorageClass', 'ETag'],
        Schedule: { Frequency: 'Daily' },
      },
    ],
    replication: {
      Role: 'arn:aws:iam::123456789012:role/s3-replication-role',
      Rules: [
        {
          ID: 'critical',
          Status: 'Enabled',
          Priority: 1,
          DeleteMarkerReplication: { Status: 'Disabled' },
          Filter: { Prefix: 'critical/' },
          Destination: { Bucket: `arn:aws:s3:::${b.replica}`, StorageClass: 'GLACIER' },
        },
      ],
    },
    tags: [
      { Key: 'project', Value: 'ziggie' },
      { Key: 'env', Value: 'prod' },
    ],
    prefixes: ['game-assets/sprites/', 'game-assets/textures/', 'comfyui/generated/'],
  };
}
