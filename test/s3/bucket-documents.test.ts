/**
 * Bucket configuration documents through @aws-sdk/client-s3: the seeds' documents
 * (000 and 002) are accepted and read back; documents S3 refuses are refused with S3's
 * code and nothing is stored.
 */
import {
  CreateBucketCommand,
  DeleteBucketAnalyticsConfigurationCommand,
  GetBucketAnalyticsConfigurationCommand,
  ListBucketAnalyticsConfigurationsCommand,
  ListBucketMetricsConfigurationsCommand,
  PutBucketAnalyticsConfigurationCommand,
  DeleteBucketEncryptionCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketCorsCommand,
  GetBucketRequestPaymentCommand,
  PutBucketAccelerateConfigurationCommand,
  PutBucketRequestPaymentCommand,
  GetObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketIntelligentTieringConfigurationCommand,
  GetBucketInventoryConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketMetricsConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketInventoryConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketMetricsConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  GetBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type CORSRule,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  publicReadPolicy,
  SEED_000_BUCKET_POLICY,
  SEED_000_LIFECYCLE,
} from '../fixtures/seed-policies.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/** The form of a rule ID S3 assigns: 48 characters of base64. */
const RULE_ID = /^[A-Za-z0-9+/]{48}$/;

let t: TestServer;
let s3: S3Client;

const ASSETS = 'ziggie-cloud-assets';
const BACKUPS = 'ziggie-cloud-backups';
const LOGS = 'ziggie-cloud-logs';
const REPLICA = 'ziggie-cloud-backups-replica';

/** PutBucketReplication of one rule copying everything from `bucket` to `destination`. */
const replicate = (bucket: string, destination: string) =>
  s3.send(
    new PutBucketReplicationCommand({
      Bucket: bucket,
      ReplicationConfiguration: {
        Role: 'arn:aws:iam::123456789012:role/replication',
        Rules: [
          {
            Status: 'Enabled',
            Priority: 1,
            DeleteMarkerReplication: { Status: 'Disabled' },
            Filter: { Prefix: '' },
            Destination: { Bucket: `arn:aws:s3:::${destination}` },
          },
        ],
      },
    }),
  );
const PROD = 'ziggie-assets-prod';

beforeAll(async () => {
  t = await startTestServer();
  s3 = t.client;
  for (const Bucket of [ASSETS, BACKUPS, LOGS, REPLICA, PROD]) {
    await s3.send(new CreateBucketCommand({ Bucket }));
  }
  for (const Bucket of [BACKUPS, REPLICA]) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
});
afterAll(async () => t.close());

/** Seed 000 §1.3. */
const SEED_POLICY = SEED_000_BUCKET_POLICY;

/** Seed 000 §1.4. */
const SEED_000_CORS: CORSRule[] = [
  {
    AllowedOrigins: ['https://ziggie.cloud', 'https://*.ziggie.cloud', 'http://localhost:3000'],
    AllowedMethods: ['GET', 'HEAD'],
    AllowedHeaders: ['*'],
    MaxAgeSeconds: 3600,
    ExposeHeaders: ['ETag'],
  },
];

/** Seed 002 §7.5.3. */
const SEED_002_CORS: CORSRule[] = [
  {
    AllowedHeaders: ['*'],
    AllowedMethods: ['GET', 'HEAD'],
    AllowedOrigins: ['https://ziggie.cloud', 'http://localhost:*'],
    ExposeHeaders: ['ETag'],
    MaxAgeSeconds: 3600,
  },
];

/** Seed 002 §7.5.3. */
const SEED_002_LIFECYCLE: LifecycleRule[] = [
  {
    ID: 'MoveToGlacierAfter90Days',
    Status: 'Enabled',
    Filter: { Prefix: 'backups/' },
    Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
  },
  {
    ID: 'IntelligentTieringForAssets',
    Status: 'Enabled',
    Filter: { Prefix: 'game-assets/' },
    Transitions: [{ Days: 0, StorageClass: 'INTELLIGENT_TIERING' }],
  },
];

describe("the seeds' documents are accepted and read back", () => {
  it('bucket policy (seed 000 §1.3)', async () => {
    await s3.send(
      new PutBucketPolicyCommand({ Bucket: ASSETS, Policy: JSON.stringify(SEED_POLICY) }),
    );
    const got = await s3.send(new GetBucketPolicyCommand({ Bucket: ASSETS }));
    expect(JSON.parse(got.Policy ?? '')).toEqual(SEED_POLICY);
  });

  it('CORS (seed 000 §1.4 with https://*.ziggie.cloud, seed 002 with http://localhost:*)', async () => {
    await s3.send(
      new PutBucketCorsCommand({ Bucket: ASSETS, CORSConfiguration: { CORSRules: SEED_000_CORS } }),
    );
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: ASSETS }))).CORSRules).toEqual(
      SEED_000_CORS,
    );
    await s3.send(
      new PutBucketCorsCommand({ Bucket: PROD, CORSConfiguration: { CORSRules: SEED_002_CORS } }),
    );
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: PROD }))).CORSRules).toEqual(
      SEED_002_CORS,
    );
  });

  it('lifecycle (seed 000 §3.1, seed 002 with a day-0 transition)', async () => {
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: BACKUPS,
        LifecycleConfiguration: { Rules: SEED_000_LIFECYCLE },
      }),
    );
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BACKUPS }))).Rules,
    ).toEqual(SEED_000_LIFECYCLE);
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: PROD,
        LifecycleConfiguration: { Rules: SEED_002_LIFECYCLE },
      }),
    );
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: PROD }))).Rules,
    ).toEqual(SEED_002_LIFECYCLE);
  });

  it('lifecycle keeps x-amz-transition-default-minimum-object-size (Terraform sets it)', async () => {
    const put = (size?: string) =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: PROD,
          LifecycleConfiguration: { Rules: SEED_002_LIFECYCLE },
          ...(size
            ? { TransitionDefaultMinimumObjectSize: size as 'varies_by_storage_class' }
            : {}),
        }),
      );
    const get = async () =>
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: PROD })))
        .TransitionDefaultMinimumObjectSize;
    expect((await put('varies_by_storage_class')).TransitionDefaultMinimumObjectSize).toBe(
      'varies_by_storage_class',
    );
    expect(await get()).toBe('varies_by_storage_class');
    // Not sent: S3's default, on the PUT and on every GET after it.
    expect((await put()).TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');
    expect(await get()).toBe('all_storage_classes_128K');
    const err = await s3ErrorOf(put('bogus'));
    expect(err).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(err.message).toMatch(/^Invalid TransitionDefaultMinimumObjectSize found: bogus/);
    expect(await get()).toBe('all_storage_classes_128K');
  });

  it('lifecycle rules sent without an ID get one, as S3 names them; IDs sent are kept', async () => {
    const rules: LifecycleRule[] = [
      { Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
      { ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 30 } },
      { Status: 'Disabled', Filter: { Prefix: 'old/' }, Expiration: { Days: 9 } },
    ];
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: PROD,
        LifecycleConfiguration: { Rules: rules },
      }),
    );
    const got = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: PROD })))
      .Rules!;
    expect(got).toEqual([
      { ...rules[0], ID: expect.stringMatching(RULE_ID) },
      rules[1],
      { ...rules[2], ID: expect.stringMatching(RULE_ID) },
    ]);
    expect(got[0]!.ID).not.toBe(got[2]!.ID);
    // The IDs are kept: a second GET shows the same ones.
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: PROD }))).Rules,
    ).toEqual(got);
  });

  it('Intelligent-Tiering (seed 000 §2.1)', async () => {
    const config = {
      Id: 'GameAssetsTiering',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'game-assets/' },
      Tierings: [
        { Days: 90, AccessTier: 'ARCHIVE_ACCESS' as const },
        { Days: 180, AccessTier: 'DEEP_ARCHIVE_ACCESS' as const },
      ],
    };
    await s3.send(
      new PutBucketIntelligentTieringConfigurationCommand({
        Bucket: ASSETS,
        Id: 'GameAssetsTiering',
        IntelligentTieringConfiguration: config,
      }),
    );
    const got = await s3.send(
      new GetBucketIntelligentTieringConfigurationCommand({
        Bucket: ASSETS,
        Id: 'GameAssetsTiering',
      }),
    );
    expect(got.IntelligentTieringConfiguration).toEqual(config);
  });

  it('encryption: SSE-S3 with a bucket key, then SSE-KMS (seed 000 §10.2)', async () => {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: BACKUPS,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    const kms = {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms' as const,
            KMSMasterKeyID: 'arn:aws:kms:eu-north-1:ACCOUNT_ID:key/KEY_ID',
          },
        },
      ],
    };
    await s3.send(
      new PutBucketEncryptionCommand({ Bucket: BACKUPS, ServerSideEncryptionConfiguration: kms }),
    );
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: BACKUPS })))
        .ServerSideEncryptionConfiguration,
    ).toEqual(kms);
    // The seed's key (a placeholder account, as in AWS's examples) is one writes can use.
    const put = await s3.send(
      new PutObjectCommand({ Bucket: BACKUPS, Key: 'kms-default.txt', Body: 'sealed' }),
    );
    expect(put.SSEKMSKeyId).toBe('arn:aws:kms:eu-north-1:ACCOUNT_ID:key/KEY_ID');
    // A key id no write could use is refused when the default is set, not at every write.
    for (const id of ['has space', 'arn:aws:s3:::nope', 'arn:aws:kms:us-east-1:1:key/']) {
      const bad = {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms' as const,
              KMSMasterKeyID: id,
            },
          },
        ],
      };
      expect(
        await s3ErrorOf(
          s3.send(
            new PutBucketEncryptionCommand({
              Bucket: BACKUPS,
              ServerSideEncryptionConfiguration: bad,
            }),
          ),
        ),
        id,
      ).toMatchObject({ name: 'InvalidArgument', status: 400 });
    }
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: BACKUPS })))
        .ServerSideEncryptionConfiguration,
    ).toEqual(kms);
  });

  it('public access block (seed 000 §10.3)', async () => {
    const config = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    };
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: BACKUPS, PublicAccessBlockConfiguration: config }),
    );
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket: BACKUPS })))
        .PublicAccessBlockConfiguration,
    ).toEqual(config);
  });

  it('a partial public access block reads back with all four settings, as S3 reports it', async () => {
    const bucket = 'pab-partial';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true },
      }),
    );
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))
        .PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
  });

  it('logging to an existing bucket (seed 000 §10.4)', async () => {
    const enabled = { TargetBucket: LOGS, TargetPrefix: 's3-access-logs/' };
    await s3.send(
      new PutBucketLoggingCommand({
        Bucket: ASSETS,
        BucketLoggingStatus: { LoggingEnabled: enabled },
      }),
    );
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: ASSETS }))).LoggingEnabled).toEqual(
      enabled,
    );
  });

  it('inventory (seed 000 §11.2)', async () => {
    const config = {
      Destination: {
        S3BucketDestination: {
          Bucket: `arn:aws:s3:::${LOGS}`,
          Prefix: 'inventory',
          Format: 'CSV' as const,
        },
      },
      IsEnabled: true,
      Id: 'DailyInventory',
      IncludedObjectVersions: 'Current' as const,
      OptionalFields: ['Size' as const, 'StorageClass' as const, 'ETag' as const],
      Schedule: { Frequency: 'Daily' as const },
    };
    await s3.send(
      new PutBucketInventoryConfigurationCommand({
        Bucket: ASSETS,
        Id: 'DailyInventory',
        InventoryConfiguration: config,
      }),
    );
    const got = await s3.send(
      new GetBucketInventoryConfigurationCommand({ Bucket: ASSETS, Id: 'DailyInventory' }),
    );
    expect(got.InventoryConfiguration).toEqual(config);
  });

  it('replication on a versioned bucket (seed 000 §12.1)', async () => {
    const config = {
      Role: 'arn:aws:iam::ACCOUNT_ID:role/s3-replication-role',
      Rules: [
        {
          Status: 'Enabled' as const,
          Priority: 1,
          DeleteMarkerReplication: { Status: 'Disabled' as const },
          Filter: { Prefix: 'critical/' },
          Destination: { Bucket: `arn:aws:s3:::${REPLICA}`, StorageClass: 'GLACIER' as const },
        },
      ],
    };
    await s3.send(
      new PutBucketReplicationCommand({ Bucket: BACKUPS, ReplicationConfiguration: config }),
    );
    // The rule was sent without an ID: S3 gives it one (the base64 of a random UUID).
    expect(
      (await s3.send(new GetBucketReplicationCommand({ Bucket: BACKUPS })))
        .ReplicationConfiguration,
    ).toEqual({ ...config, Rules: [{ ...config.Rules[0], ID: expect.stringMatching(RULE_ID) }] });
    // Replication needs every version: the source's versioning cannot be suspended under it.
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketVersioningCommand({
          Bucket: BACKUPS,
          VersioningConfiguration: { Status: 'Suspended' },
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidBucketState', status: 409 });
    expect(err.message).toMatch(/first delete the replication configuration/);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BACKUPS }))).Status).toBe(
      'Enabled',
    );
  });

  it('replication to a bucket of this server that keeps no versions: InvalidRequest', async () => {
    const to = (bucket: string) => replicate(BACKUPS, bucket);
    // One this server does not have may be a bucket of another store: accepted.
    await to('bucket-on-another-store');
    expect(await s3ErrorOf(to(ASSETS))).toMatchObject({
      name: 'InvalidRequest',
      status: 400,
      message: expect.stringMatching(/^Destination bucket must have versioning enabled\./),
    });
  });

  it('metrics (seed 000 §8.4) and bucket tags', async () => {
    await s3.send(
      new PutBucketMetricsConfigurationCommand({
        Bucket: ASSETS,
        Id: 'EntireBucket',
        MetricsConfiguration: { Id: 'EntireBucket' },
      }),
    );
    expect(
      (
        await s3.send(
          new GetBucketMetricsConfigurationCommand({ Bucket: ASSETS, Id: 'EntireBucket' }),
        )
      ).MetricsConfiguration,
    ).toEqual({ Id: 'EntireBucket' });
    const TagSet = [
      { Key: 'Project', Value: 'Ziggie' },
      { Key: 'Type', Value: 'GPU' },
    ];
    await s3.send(new PutBucketTaggingCommand({ Bucket: ASSETS, Tagging: { TagSet } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: ASSETS }))).TagSet).toEqual(TagSet);
  });
});

describe('documents read back as S3 writes them', () => {
  it('without the layout of an indented document, in S3 namespace, every value as sent', async () => {
    // fog (Ruby) indents what it sends and reads answers with a SAX parser that keeps the
    // white space after a value: it read this StorageClass back as "GLACIER\n    ".
    const Bucket = 'compact-docs';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const lifecycle =
      '<LifecycleConfiguration>\n  <Rule>\n    <ID>archive</ID>\n    <Prefix>old/</Prefix>\n' +
      '    <Status>Enabled</Status>\n    <Transition>\n      <Days>30</Days>\n' +
      '      <StorageClass>GLACIER</StorageClass>\n    </Transition>\n  </Rule>\n' +
      '</LifecycleConfiguration>\n';
    const put = await signedFetch(t, 'PUT', `/${Bucket}?lifecycle`, {
      body: lifecycle,
      contentMd5: true,
    });
    expect(put.status).toBe(200);
    const got = await (await signedFetch(t, 'GET', `/${Bucket}?lifecycle`)).text();
    expect(got).toBe(
      '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>' +
        '<ID>archive</ID><Prefix>old/</Prefix><Status>Enabled</Status><Transition><Days>30</Days>' +
        '<StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>',
    );
    // Another namespace (fog's bucket tagging) becomes S3's; a value of spaces stays.
    const tagging =
      '<Tagging xmlns="http://doc.s3.amazonaws.com/2006-03-01">\n  <TagSet>\n    <Tag>\n' +
      '      <Key>team</Key>\n      <Value>  two  words </Value>\n    </Tag>\n  </TagSet>\n</Tagging>';
    const tagged = await signedFetch(t, 'PUT', `/${Bucket}?tagging`, {
      body: tagging,
      contentMd5: true,
    });
    expect(tagged.status).toBe(204);
    expect(await (await signedFetch(t, 'GET', `/${Bucket}?tagging`)).text()).toBe(
      '<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>team</Key>' +
        '<Value>  two  words </Value></Tag></TagSet></Tagging>',
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([
      { Key: 'team', Value: '  two  words ' },
    ]);
  });
});

describe('storage class analysis (analytics) configurations', () => {
  const Bucket = 'analytics-docs';
  const textures = {
    Id: 'textures',
    Filter: { Prefix: 'textures/' },
    StorageClassAnalysis: {
      DataExport: {
        OutputSchemaVersion: 'V_1' as const,
        Destination: {
          S3BucketDestination: {
            Format: 'CSV' as const,
            Bucket: 'arn:aws:s3:::ziggie-cloud-logs',
            Prefix: 'analytics/',
          },
        },
      },
    },
  };

  it('are stored by id, listed, read back and deleted as on S3', async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
    // None yet: the list is empty (200) and a read by id is 404 NoSuchConfiguration.
    const empty = await s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket }));
    expect(empty.$metadata.httpStatusCode).toBe(200);
    expect(empty.AnalyticsConfigurationList ?? []).toEqual([]);
    expect(empty.IsTruncated).toBe(false);
    expect(
      await s3ErrorOf(s3.send(new GetBucketAnalyticsConfigurationCommand({ Bucket, Id: 'x' }))),
    ).toMatchObject({ name: 'NoSuchConfiguration', status: 404 });
    await s3.send(
      new PutBucketAnalyticsConfigurationCommand({
        Bucket,
        Id: 'textures',
        AnalyticsConfiguration: textures,
      }),
    );
    const whole = { Id: 'whole', StorageClassAnalysis: {} };
    await s3.send(
      new PutBucketAnalyticsConfigurationCommand({
        Bucket,
        Id: 'whole',
        AnalyticsConfiguration: whole,
      }),
    );
    const got = await s3.send(
      new GetBucketAnalyticsConfigurationCommand({ Bucket, Id: 'textures' }),
    );
    expect(got.AnalyticsConfiguration).toEqual(textures);
    const listed = await s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket }));
    expect(listed.AnalyticsConfigurationList?.map((c) => c.Id)).toEqual(['textures', 'whole']);
    await s3.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket, Id: 'textures' }));
    expect(
      await s3ErrorOf(
        s3.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket, Id: 'textures' })),
      ),
    ).toMatchObject({ name: 'NoSuchConfiguration', status: 404 });
    expect(
      (
        await s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket }))
      ).AnalyticsConfigurationList?.map((c) => c.Id),
    ).toEqual(['whole']);
  });

  it('holds at most 1,000 per bucket (TooManyConfigurations), as S3; replacing one is not adding', async () => {
    const Bucket = 'analytics-many';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const put = (Id: string) =>
      s3.send(
        new PutBucketAnalyticsConfigurationCommand({
          Bucket,
          Id,
          AnalyticsConfiguration: { Id, StorageClassAnalysis: {} },
        }),
      );
    const ids = Array.from({ length: 1000 }, (_, i) => `a${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 25) await Promise.all(ids.slice(i, i + 25).map(put));
    expect(await s3ErrorOf(put('one-more'))).toMatchObject({
      name: 'TooManyConfigurations',
      status: 400,
      message: expect.stringContaining('1000'),
    });
    await put('a0500');
    await s3.send(new DeleteBucketAnalyticsConfigurationCommand({ Bucket, Id: 'a0000' }));
    await put('one-more');
    // Listed 100 at a time, as S3 lists them, each page naming the token of the next.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListBucketAnalyticsConfigurationsCommand({ Bucket, ContinuationToken: token }),
      );
      pages++;
      expect(page.ContinuationToken).toBe(token);
      expect(page.AnalyticsConfigurationList!.length).toBeLessThanOrEqual(100);
      seen.push(...page.AnalyticsConfigurationList!.map((c) => c.Id!));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(pages).toBe(10);
    expect(seen).toEqual([...ids.slice(1), 'one-more']);
    expect(
      await s3ErrorOf(
        s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket, ContinuationToken: 'x!' })),
      ),
    ).toMatchObject({ name: 'InvalidArgument', status: 400 });
    // A token belongs to its list: another bucket's, or another kind's, is refused.
    const first = await s3.send(new ListBucketAnalyticsConfigurationsCommand({ Bucket }));
    const ContinuationToken = first.NextContinuationToken!;
    await s3.send(new CreateBucketCommand({ Bucket: 'analytics-other' }));
    for (const call of [
      s3.send(
        new ListBucketAnalyticsConfigurationsCommand({
          Bucket: 'analytics-other',
          ContinuationToken,
        }),
      ),
      s3.send(new ListBucketMetricsConfigurationsCommand({ Bucket, ContinuationToken })),
    ]) {
      expect(await s3ErrorOf(call)).toMatchObject({ name: 'InvalidArgument', status: 400 });
    }
  }, 60_000);

  it('refuses what S3 refuses, storing nothing; a missing bucket is NoSuchBucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'analytics-refused' }));
    const put = (configuration: object, id = 'textures', bucket = 'analytics-refused') =>
      s3ErrorOf(
        s3.send(
          new PutBucketAnalyticsConfigurationCommand({
            Bucket: bucket,
            Id: id,
            AnalyticsConfiguration: configuration as typeof textures,
          }),
        ),
      );
    const notArn = structuredClone(textures);
    notArn.StorageClassAnalysis.DataExport.Destination.S3BucketDestination.Bucket = 'logs';
    expect(await put(notArn)).toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('"logs" is not a bucket ARN'),
    });
    expect(await put(textures, 'other')).toMatchObject({
      name: 'InvalidArgument',
      message: expect.stringContaining('does not match the id request parameter "other"'),
    });
    expect(await put({ Id: 'textures' })).toMatchObject({
      name: 'MalformedXML',
      message: expect.stringContaining('<StorageClassAnalysis>'),
    });
    expect(await put(textures, 'textures', 'analytics-missing')).toMatchObject({
      name: 'NoSuchBucket',
      status: 404,
    });
    const list = await s3.send(
      new ListBucketAnalyticsConfigurationsCommand({ Bucket: 'analytics-refused' }),
    );
    expect(list.AnalyticsConfigurationList ?? []).toEqual([]);
  });
});

describe('documents every bucket has, as S3 answers them before any is set', () => {
  it('encryption reads back as SSE-S3 and returns to it after DeleteBucketEncryption', async () => {
    const sseS3 = {
      Rules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
      ],
    };
    await s3.send(new CreateBucketCommand({ Bucket: 'defaults-enc' }));
    const get = async () =>
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'defaults-enc' })))
        .ServerSideEncryptionConfiguration;
    expect(await get()).toEqual(sseS3);
    const kms = {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms' as const,
            KMSMasterKeyID: 'key-1',
          },
        },
      ],
    };
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: 'defaults-enc',
        ServerSideEncryptionConfiguration: kms,
      }),
    );
    expect(await get()).toEqual(kms);
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: 'defaults-enc' }));
    expect(await get()).toEqual(sseS3);
  });

  it('logging and notifications read back empty, not as errors', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'defaults-empty' }));
    const logging = await s3.send(new GetBucketLoggingCommand({ Bucket: 'defaults-empty' }));
    expect(logging.$metadata.httpStatusCode).toBe(200);
    expect(logging.LoggingEnabled).toBeUndefined();
    const events = await s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: 'defaults-empty' }),
    );
    expect(events.$metadata.httpStatusCode).toBe(200);
    expect(events.TopicConfigurations ?? []).toEqual([]);
    expect(events.QueueConfigurations ?? []).toEqual([]);
    expect(events.LambdaFunctionConfigurations ?? []).toEqual([]);
  });

  it('request payment and acceleration read as on a bucket that never set them, and are set and read back', async () => {
    const Bucket = 'defaults-payer';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const payer = await s3.send(new GetBucketRequestPaymentCommand({ Bucket }));
    expect(payer.Payer).toBe('BucketOwner');
    const accel = await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket }));
    expect(accel.$metadata.httpStatusCode).toBe(200);
    expect(accel.Status).toBeUndefined();
    await s3.send(
      new PutBucketAccelerateConfigurationCommand({
        Bucket,
        AccelerateConfiguration: { Status: 'Enabled' },
      }),
    );
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket }))).Status).toBe(
      'Enabled',
    );
    await s3.send(
      new PutBucketRequestPaymentCommand({
        Bucket,
        RequestPaymentConfiguration: { Payer: 'Requester' },
      }),
    );
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket }))).Payer).toBe('Requester');
    expect(
      await s3ErrorOf(s3.send(new GetBucketRequestPaymentCommand({ Bucket: 'defaults-missing' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('Requester Pays refuses anonymous requests, as S3 does, even where a policy lets everyone read', async () => {
    const Bucket = 'payer-public';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'asset.png', Body: 'png' }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket,
        Policy: publicReadPolicy(`${Bucket}/*`),
      }),
    );
    const url = `${t.url}/${Bucket}/asset.png`;
    expect((await fetch(url)).status).toBe(200);
    await s3.send(
      new PutBucketRequestPaymentCommand({
        Bucket,
        RequestPaymentConfiguration: { Payer: 'Requester' },
      }),
    );
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Requester Pays');
    // The owner's keys pay for their own requests: no x-amz-request-payer needed.
    const signed = await s3.send(new GetObjectCommand({ Bucket, Key: 'asset.png' }));
    expect(await signed.Body!.transformToString()).toBe('png');
    await s3.send(
      new PutBucketRequestPaymentCommand({
        Bucket,
        RequestPaymentConfiguration: { Payer: 'BucketOwner' },
      }),
    );
    expect((await fetch(url)).status).toBe(200);
  });

  it('request payment and acceleration documents S3 would refuse are refused, storing nothing', async () => {
    const Bucket = 'payer-bad';
    await s3.send(new CreateBucketCommand({ Bucket }));
    for (const [sub, body, code] of [
      [
        'requestPayment',
        '<RequestPaymentConfiguration><Payer>Nobody</Payer></RequestPaymentConfiguration>',
        'MalformedXML',
      ],
      ['requestPayment', '<RequestPaymentConfiguration/>', 'MalformedXML'],
      [
        'requestPayment',
        '<RequestPaymentConfiguration><Payer>Requester</Payer><Extra/></RequestPaymentConfiguration>',
        'MalformedXML',
      ],
      [
        'accelerate',
        '<AccelerateConfiguration><Status>On</Status></AccelerateConfiguration>',
        'MalformedXML',
      ],
      ['accelerate', '<AccelerateConfiguration/>', 'MalformedXML'],
      ['accelerate', 'not xml', 'MalformedXML'],
    ] as const) {
      const res = await signedFetch(t, 'PUT', `/${Bucket}?${sub}`, { body, contentMd5: true });
      const text = await res.text();
      expect(res.status, `${sub} ${body}: ${text}`).toBe(400);
      expect(text).toContain(`<Code>${code}</Code>`);
    }
    expect((await s3.send(new GetBucketRequestPaymentCommand({ Bucket }))).Payer).toBe(
      'BucketOwner',
    );
    expect((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket }))).Status).toBe(
      undefined,
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'payer.dotted' }));
    expect(
      await s3ErrorOf(
        s3.send(
          new PutBucketAccelerateConfigurationCommand({
            Bucket: 'payer.dotted',
            AccelerateConfiguration: { Status: 'Enabled' },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidRequest', message: expect.stringContaining('periods') });
    // S3 has no DELETE for them: 405, and the bucket stays.
    for (const sub of ['requestPayment', 'accelerate']) {
      expect((await signedFetch(t, 'DELETE', `/${Bucket}?${sub}`)).status).toBe(405);
    }
    expect((await signedFetch(t, 'GET', `/${Bucket}/k?requestPayment`)).status).toBe(501);
  });

  it('a bucket that does not exist is still NoSuchBucket', async () => {
    expect(
      await s3ErrorOf(s3.send(new GetBucketEncryptionCommand({ Bucket: 'defaults-missing' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    expect(
      await s3ErrorOf(s3.send(new GetBucketLoggingCommand({ Bucket: 'defaults-missing' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });
});

describe('documents S3 refuses are refused with its code, and nothing is stored', () => {
  it('a lifecycle transition to STANDARD_IA at 7 days: InvalidArgument', async () => {
    const Bucket = 'refused-lifecycle';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'too-early',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                Transitions: [{ Days: 7, StorageClass: 'STANDARD_IA' }],
              },
            ],
          },
        }),
      ),
    );
    expect(err).toEqual({
      name: 'InvalidArgument',
      status: 400,
      message:
        "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'",
    });
    expect(
      (await s3ErrorOf(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })))).name,
    ).toBe('NoSuchLifecycleConfiguration');
  });

  it('a CORS rule without AllowedMethods: MalformedXML, the stored rules kept', async () => {
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketCorsCommand({
          Bucket: ASSETS,
          CORSConfiguration: {
            CORSRules: [{ AllowedOrigins: ['https://ziggie.cloud'], AllowedMethods: [] }],
          },
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'MalformedXML', status: 400 });
    expect(err.message).toMatch(/CORSRule 1 has no <AllowedMethod>/);
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: ASSETS }))).CORSRules).toEqual(
      SEED_000_CORS,
    );
  });

  it('XML that is not well-formed (&nbsp;, &#0;, ]]>, <x:Rule>, < in an attribute): MalformedXML, nothing stored', async () => {
    const rule = (origin: string) =>
      `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`;
    const stored = rule('https://a&amp;b&#233;');
    const put = await signedFetch(t, 'PUT', `/${ASSETS}?cors`, { body: stored, contentMd5: true });
    expect(put.status).toBe(200);
    const bodies = [
      rule('https://a&nbsp;b'),
      rule('https://a&#0;b'),
      rule('https://a\x01b'),
      rule('https://a]]>b'),
      rule('https://x')
        .replace('<CORSRule>', '<x:CORSRule>')
        .replace('</CORSRule>', '</x:CORSRule>'),
      rule('https://x').replace('<CORSRule>', '<CORSRule a="<b">'),
    ];
    for (const body of bodies) {
      const res = await signedFetch(t, 'PUT', `/${ASSETS}?cors`, { body, contentMd5: true });
      expect([res.status, await res.text()], body).toEqual([
        400,
        expect.stringContaining('<Code>MalformedXML</Code>'),
      ]);
    }
    const after = await signedFetch(t, 'GET', `/${ASSETS}?cors`);
    // The stored document, read back in S3's namespace as S3 writes it.
    expect(await after.text()).toBe(
      stored.replace(
        '<CORSConfiguration>',
        '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      ),
    );
    await s3.send(
      new PutBucketCorsCommand({ Bucket: ASSETS, CORSConfiguration: { CORSRules: SEED_000_CORS } }),
    );
  });

  it('?id= beside a document kind of one per bucket is ignored, as S3 ignores it: no hidden second document', async () => {
    const Bucket = 'one-per-bucket';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const lifecycle = (days: number) =>
      `<LifecycleConfiguration><Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>${days}</Days></Expiration></Rule></LifecycleConfiguration>`;
    const put = await signedFetch(t, 'PUT', `/${Bucket}?lifecycle&id=foo`, {
      body: lifecycle(7),
      contentMd5: true,
    });
    expect(put.status).toBe(200);
    const read = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
    expect(read.Rules?.[0]?.Expiration?.Days).toBe(7);
    const other = await signedFetch(t, 'GET', `/${Bucket}?lifecycle&id=bar`);
    expect(await other.text()).toContain('<Days>7</Days>');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:DeleteObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
        },
      ],
    });
    expect((await signedFetch(t, 'PUT', `/${Bucket}?policy&id=x`, { body: policy })).status).toBe(
      204,
    );
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy).toBe(policy);
    expect((await signedFetch(t, 'DELETE', `/${Bucket}?lifecycle&id=foo`)).status).toBe(204);
    expect(
      await s3ErrorOf(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))),
    ).toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
  });

  it('DELETE ?logging and ?notification (operations S3 does not have): 405, the documents kept', async () => {
    await s3.send(
      new PutBucketLoggingCommand({
        Bucket: LOGS,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: LOGS, TargetPrefix: 'self/' } },
      }),
    );
    for (const sub of ['logging', 'notification']) {
      const res = await signedFetch(t, 'DELETE', `/${LOGS}?${sub}`);
      expect([res.status, await res.text()]).toEqual([
        405,
        expect.stringContaining('<Code>MethodNotAllowed</Code>'),
      ]);
    }
    const logging = await s3.send(new GetBucketLoggingCommand({ Bucket: LOGS }));
    expect(logging.LoggingEnabled?.TargetPrefix).toBe('self/');
  });

  it('a document whose bytes are not UTF-8: MalformedXML (MalformedPolicy for a policy), nothing stored', async () => {
    const Bucket = 'not-utf8';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const body = Buffer.concat([
      Buffer.from('<Tagging><TagSet><Tag><Key>caf'),
      Buffer.from([0xe9]),
      Buffer.from('</Key><Value>v</Value></Tag></TagSet></Tagging>'),
    ]);
    const res = await signedFetch(t, 'PUT', `/${Bucket}?tagging`, { body, contentMd5: true });
    expect([res.status, await res.text()]).toEqual([
      400,
      expect.stringMatching(/<Code>MalformedXML<\/Code>.*not valid UTF-8/),
    ]);
    const policy = await signedFetch(t, 'PUT', `/${Bucket}?policy`, {
      body: Buffer.concat([
        Buffer.from('{"Version":"2012-10-17","Statement":[{"Sid":"'),
        Buffer.from([0xff]),
        Buffer.from('"}]}'),
      ]),
    });
    expect([policy.status, await policy.text()]).toEqual([
      400,
      expect.stringContaining('<Code>MalformedPolicy</Code>'),
    ]);
    expect(await s3ErrorOf(s3.send(new GetBucketTaggingCommand({ Bucket })))).toMatchObject({
      name: 'NoSuchTagSet',
    });
    // Object tags too (PutObjectTagging): MalformedXML, not InvalidTag naming "caf\ufffd".
    await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' }));
    const objectTags = await signedFetch(t, 'PUT', `/${Bucket}/k?tagging`, {
      body,
      contentMd5: true,
    });
    expect([objectTags.status, await objectTags.text()]).toEqual([
      400,
      expect.stringMatching(/<Code>MalformedXML<\/Code>.*not valid UTF-8/),
    ]);
  });

  it('a policy with s3:GetObjekt: MalformedPolicy', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObjekt',
          Resource: `arn:aws:s3:::${PROD}/*`,
        },
      ],
    };
    const err = await s3ErrorOf(
      s3.send(new PutBucketPolicyCommand({ Bucket: PROD, Policy: JSON.stringify(policy) })),
    );
    expect(err).toMatchObject({ name: 'MalformedPolicy', status: 400 });
    expect(err.message).toMatch(/Policy has invalid action: "s3:GetObjekt"/);
    expect((await s3ErrorOf(s3.send(new GetBucketPolicyCommand({ Bucket: PROD })))).name).toBe(
      'NoSuchBucketPolicy',
    );
  });

  it('replication on an unversioned bucket: InvalidRequest', async () => {
    const err = await s3ErrorOf(replicate(ASSETS, REPLICA));
    expect(err).toEqual({
      name: 'InvalidRequest',
      status: 400,
      message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
    });
  });

  it('logging to a bucket that does not exist: InvalidTargetBucketForLogging', async () => {
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketLoggingCommand({
          Bucket: PROD,
          BucketLoggingStatus: {
            LoggingEnabled: { TargetBucket: 'no-such-log-bucket', TargetPrefix: 'logs/' },
          },
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidTargetBucketForLogging', status: 400 });
    expect(err.message).toMatch(/no-such-log-bucket/);
  });

  it('a document for a bucket that does not exist: NoSuchBucket first', async () => {
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketCorsCommand({
          Bucket: 'no-such-bucket-here',
          CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: [] }] },
        }),
      ),
    );
    expect(err.name).toBe('NoSuchBucket');
  });
});

describe("answers recorded from AWS (LocalStack's validated snapshots)", () => {
  it('PutBucketVersioning: no Status is IllegalVersioningConfigurationException, an unknown one MalformedXML', async () => {
    const put = (Status: string | undefined) =>
      s3ErrorOf(
        s3.send(
          new PutBucketVersioningCommand({
            Bucket: PROD,
            VersioningConfiguration: Status === undefined ? {} : { Status: Status as 'Enabled' },
          }),
        ),
      );
    expect((await put(undefined)).name).toBe('IllegalVersioningConfigurationException');
    expect((await put('enabled')).name).toBe('MalformedXML');
    expect((await put('Disabled')).name).toBe('MalformedXML');
  });

  it("PutBucketVersioning follows S3's schema: no unknown element, MfaDelete Enabled or Disabled, no padded value", async () => {
    const put = async (inner: string): Promise<[number, string | undefined]> => {
      const res = await signedFetch(t, 'PUT', `/${PROD}?versioning`, {
        body: `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</VersioningConfiguration>`,
        contentMd5: true,
      });
      return [res.status, /<Code>([^<]*)<\/Code>/.exec(await res.text())?.[1]];
    };
    expect(await put('<Status>Enabled</Status><Foo>1</Foo>')).toEqual([400, 'MalformedXML']);
    expect(await put('<Status>Enabled</Status><MfaDelete>On</MfaDelete>')).toEqual([
      400,
      'MalformedXML',
    ]);
    expect(await put('<Status> Enabled </Status>')).toEqual([400, 'MalformedXML']);
    expect(await put('<MfaDelete>Enabled</MfaDelete><Status>Enabled</Status>')).toEqual([
      501,
      'NotImplemented',
    ]);
    expect(await put('<MfaDelete>Disabled</MfaDelete><Status>Enabled</Status>')).toEqual([
      200,
      undefined,
    ]);
  });

  it('an empty bucket tag set removes the tags: GetBucketTagging is NoSuchTagSet', async () => {
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: PROD,
        Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] },
      }),
    );
    await s3.send(new PutBucketTaggingCommand({ Bucket: PROD, Tagging: { TagSet: [] } }));
    expect((await s3ErrorOf(s3.send(new GetBucketTaggingCommand({ Bucket: PROD })))).name).toBe(
      'NoSuchTagSet',
    );
  });

  it('a lifecycle <And> with one tag key twice: InvalidRequest', async () => {
    const err = await s3ErrorOf(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: PROD,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'duplicate-tag-keys',
                Status: 'Enabled',
                Expiration: { Days: 1 },
                Filter: {
                  And: {
                    Tags: [
                      { Key: 'k', Value: '1' },
                      { Key: 'k', Value: '2' },
                    ],
                  },
                },
              },
            ],
          },
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(err.message).toMatch(/^Duplicate Tag Keys are not allowed\./);
  });

  it('notification targets: filter rule names read back as Prefix/Suffix, a target without Id gets one', async () => {
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: PROD,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: 'arn:stowage:webhook:::https://hooks.example.com/s3',
              Events: ['s3:ObjectCreated:*'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'suffix', Value: '.txt' },
                    { Name: 'PREFIX' as 'prefix', Value: 'notif-' },
                  ],
                },
              },
            },
          ],
        },
      }),
    );
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: PROD }));
    const q = got.QueueConfigurations?.[0];
    expect(q?.Filter?.Key?.FilterRules).toEqual([
      { Name: 'Suffix', Value: '.txt' },
      { Name: 'Prefix', Value: 'notif-' },
    ]);
    expect(q?.Id).toMatch(RULE_ID);
  });
});
