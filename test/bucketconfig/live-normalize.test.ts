/** The normalization rules of src/client/bucket-config: spellings S3 treats the same compare equal. */
import { describe, expect, it } from 'vitest';
import { SUB_RESOURCES, equal } from '../../src/client/bucket-config/index.js';

const {
  lifecycle,
  policy,
  cors,
  encryption,
  publicAccessBlock,
  tags,
  replication,
  inventory,
  versioning,
} = SUB_RESOURCES;

describe('bucket sub-resource normalization', () => {
  it('lifecycle: legacy Prefix, Filter.Prefix and And-of-one-prefix are one filter; rule and transition order do not matter', () => {
    const a = {
      Rules: [
        { ID: 'b', Status: 'Enabled', Prefix: 'logs/', Expiration: { Days: 3 } },
        {
          ID: 'a',
          Status: 'Enabled',
          Filter: { And: { Prefix: 'x/' } },
          Transitions: [
            { Days: 90, StorageClass: 'GLACIER' as const },
            { Days: 30, StorageClass: 'STANDARD_IA' as const },
          ],
        },
      ],
    };
    const b = {
      Rules: [
        {
          ID: 'a',
          Status: 'Enabled',
          Filter: { Prefix: 'x/' },
          Transitions: [
            { Days: 30, StorageClass: 'STANDARD_IA' as const },
            { Days: 90, StorageClass: 'GLACIER' as const },
          ],
        },
        { ID: 'b', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 3 } },
      ],
    };
    expect(equal(lifecycle, a as never, b as never)).toBe(true);
    const whole1 = { Rules: [{ ID: 'w', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] };
    const whole2 = {
      Rules: [{ ID: 'w', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }],
    };
    expect(equal(lifecycle, whole1 as never, whole2 as never)).toBe(true);
    const other = {
      Rules: [{ ID: 'w', Status: 'Enabled', Filter: { Prefix: 'y/' }, Expiration: { Days: 1 } }],
    };
    expect(equal(lifecycle, whole1 as never, other as never)).toBe(false);
  });

  it('policy: Version defaults, Action/Resource string or list, principal and condition values', () => {
    const a = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::1:root' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
          Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-1' } },
        },
      ],
    };
    const b = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::1:root'] },
          Action: ['s3:GetObject'],
          Resource: ['arn:aws:s3:::b/*'],
          Condition: { StringEquals: { 'aws:SourceVpc': ['vpc-1'] } },
        },
      ],
    };
    expect(equal(policy, a, b)).toBe(true);
    expect(equal(policy, a, { ...b, Statement: [{ ...b.Statement[0], Effect: 'Deny' }] })).toBe(
      false,
    );
  });

  it('CORS: list order within a rule and absent optional fields; rule order matters', () => {
    const r1 = { AllowedMethods: ['HEAD', 'GET'], AllowedOrigins: ['https://b', 'https://a'] };
    const r2 = {
      AllowedMethods: ['GET', 'HEAD'],
      AllowedOrigins: ['https://a', 'https://b'],
      AllowedHeaders: [],
    };
    expect(equal(cors, { CORSRules: [r1] }, { CORSRules: [r2] })).toBe(true);
    expect(equal(cors, { CORSRules: [r1] }, { CORSRules: [{ ...r2, MaxAgeSeconds: 60 }] })).toBe(
      false,
    );
    const r3 = { AllowedMethods: ['PUT'], AllowedOrigins: ['*'] };
    expect(equal(cors, { CORSRules: [r1, r3] }, { CORSRules: [r3, r1] })).toBe(false);
  });

  it('encryption: BucketKeyEnabled absent is false; public access block: absent flags are false', () => {
    const sse = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } };
    expect(
      equal(encryption, { Rules: [sse] }, { Rules: [{ ...sse, BucketKeyEnabled: false }] }),
    ).toBe(true);
    expect(
      equal(encryption, { Rules: [sse] }, { Rules: [{ ...sse, BucketKeyEnabled: true }] }),
    ).toBe(false);
    expect(
      equal(
        publicAccessBlock,
        { BlockPublicAcls: true },
        { BlockPublicAcls: true, IgnorePublicAcls: false },
      ),
    ).toBe(true);
  });

  it('tags, inventory fields and replication defaults', () => {
    expect(
      equal(
        tags,
        [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: '1' },
        ],
        [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      ),
    ).toBe(true);
    const inv = {
      Id: 'i',
      IsEnabled: true,
      IncludedObjectVersions: 'Current' as const,
      Schedule: { Frequency: 'Daily' as const },
      Destination: { S3BucketDestination: { Bucket: 'arn:aws:s3:::l', Format: 'CSV' as const } },
    };
    expect(
      equal(
        inventory,
        [{ ...inv, OptionalFields: ['Size', 'ETag'] }],
        [{ ...inv, OptionalFields: ['ETag', 'Size'] }],
      ),
    ).toBe(true);
    const rule = {
      ID: 'r',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'c/' },
      Destination: { Bucket: 'arn:aws:s3:::d' },
    };
    expect(
      equal(
        replication,
        { Role: 'r', Rules: [rule] },
        {
          Role: 'r',
          Rules: [{ ...rule, Priority: 0, DeleteMarkerReplication: { Status: 'Disabled' } }],
        },
      ),
    ).toBe(true);
    expect(
      equal(versioning, { Status: 'Enabled' }, { Status: 'Enabled', MFADelete: 'Disabled' }),
    ).toBe(true);
    expect(equal(versioning, { Status: 'Enabled' }, undefined)).toBe(false);
  });
});
