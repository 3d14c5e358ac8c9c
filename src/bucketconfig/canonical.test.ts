import type {
  BucketLifecycleConfiguration as SdkLifecycle,
  BucketLoggingStatus as SdkLogging,
  CORSConfiguration as SdkCors,
  IntelligentTieringConfiguration as SdkTiering,
  InventoryConfiguration as SdkInventory,
  ObjectLockConfiguration as SdkObjectLock,
  OwnershipControls as SdkOwnership,
  PublicAccessBlockConfiguration as SdkPab,
  ReplicationConfiguration as SdkReplication,
  ServerSideEncryptionConfiguration as SdkEncryption,
  Tag as SdkTag,
  VersioningConfiguration as SdkVersioning,
} from '@aws-sdk/client-s3';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { bucketArn, bucketNameOf, type DesiredBucket } from './canonical.js';

type Field<K extends keyof DesiredBucket> = NonNullable<DesiredBucket[K]>;

describe('canonical.ts', () => {
  it('holds every S3 sub-resource in the @aws-sdk/client-s3 input shape', () => {
    // Compile-time checks: each canonical document can be passed to its Put command as is.
    expectTypeOf<Field<'versioning'>>().toExtend<SdkVersioning>();
    expectTypeOf<Field<'objectLock'>>().toExtend<SdkObjectLock>();
    expectTypeOf<Field<'ownershipControls'>>().toExtend<SdkOwnership>();
    expectTypeOf<Field<'cors'>>().toExtend<SdkCors>();
    expectTypeOf<Field<'lifecycle'>>().toExtend<SdkLifecycle>();
    expectTypeOf<Field<'intelligentTiering'>[number]>().toExtend<SdkTiering>();
    expectTypeOf<Field<'encryption'>>().toExtend<SdkEncryption>();
    expectTypeOf<Field<'publicAccessBlock'>>().toExtend<SdkPab>();
    expectTypeOf<Field<'logging'>>().toExtend<SdkLogging>();
    expectTypeOf<Field<'inventory'>[number]>().toExtend<SdkInventory>();
    expectTypeOf<Field<'replication'>>().toExtend<SdkReplication>();
    expectTypeOf<Field<'tags'>[number]>().toExtend<SdkTag>();
  });

  it('converts between bucket names and ARNs', () => {
    expect(bucketArn('logs1')).toBe('arn:aws:s3:::logs1');
    expect(bucketArn('arn:aws:s3:::logs1')).toBe('arn:aws:s3:::logs1');
    expect(bucketNameOf('arn:aws:s3:::logs1')).toBe('logs1');
    expect(bucketNameOf('logs1')).toBe('logs1');
  });
});
