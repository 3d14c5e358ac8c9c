import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../config/load.js';
import type { DesiredBucket } from './canonical.js';
import { desiredBucket, desiredState } from './normalize.js';
import { bucketDeclarationSchema, bucketsSchema } from './schema.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/bucketconfig/${name}`, import.meta.url));
const seedJson = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>;

async function ziggie(): Promise<Map<string, DesiredBucket>> {
  const config = await loadConfig({ configPath: fixture('ziggie.yaml'), env: {}, cwd: '/tmp' });
  return new Map(desiredState(config).map((b) => [b.name, b]));
}

describe('desiredState of seed 000 (test/fixtures/bucketconfig/ziggie.yaml)', () => {
  it('lists the declared buckets in order', async () => {
    expect([...(await ziggie()).keys()]).toEqual([
      'ziggie-cloud-assets',
      'ziggie-cloud-backups',
      'ziggie-cloud-logs',
      'ziggie-cloud-backups-replica',
    ]);
  });

  it('expands the backup lifecycle to the document of §3.1', async () => {
    const expected = seedJson('seed-000-lifecycle.json') as { Rules: Record<string, unknown>[] };
    // The seed writes "Id"; S3's LifecycleRule field (and aws-cli's JSON) is "ID".
    const rules = expected.Rules.map(({ Id, ...rest }) => ({ ID: Id, ...rest }));
    expect((await ziggie()).get('ziggie-cloud-backups')?.lifecycle).toEqual({ Rules: rules });
  });

  it('expands publicRead and the CloudFront statement to the policy of §1.3', async () => {
    const expected = seedJson('seed-000-policy.json') as { Statement: Record<string, unknown>[] };
    // publicRead's statement has the stable Sid StowagePublicRead instead of the seed's name.
    expected.Statement[0]!.Sid = 'StowagePublicRead';
    expect((await ziggie()).get('ziggie-cloud-assets')?.policy).toEqual(expected);
  });

  it('keeps CORS (§1.4) and Intelligent-Tiering (§2.1) as the seed documents', async () => {
    const assets = (await ziggie()).get('ziggie-cloud-assets')!;
    expect(assets.cors).toEqual(seedJson('seed-000-cors.json'));
    expect(assets.intelligentTiering).toEqual([seedJson('seed-000-intelligent-tiering.json')]);
  });

  it('expands encryption, public-access-block, logging, inventory and replication', async () => {
    const buckets = await ziggie();
    const assets = buckets.get('ziggie-cloud-assets')!;
    const backups = buckets.get('ziggie-cloud-backups')!;
    expect(backups.versioning).toEqual({ Status: 'Enabled' });
    expect(backups.encryption).toEqual({
      Rules: [
        { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true },
      ],
    });
    expect(backups.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect(assets.logging).toEqual({
      LoggingEnabled: { TargetBucket: 'ziggie-cloud-logs', TargetPrefix: 's3-access-logs/' },
    });
    expect(assets.inventory).toEqual([
      {
        Id: 'DailyInventory',
        IsEnabled: true,
        Destination: {
          S3BucketDestination: {
            Bucket: 'arn:aws:s3:::ziggie-cloud-logs',
            Prefix: 'inventory',
            Format: 'CSV',
          },
        },
        IncludedObjectVersions: 'Current',
        OptionalFields: ['Size', 'StorageClass', 'ETag'],
        Schedule: { Frequency: 'Daily' },
      },
    ]);
    // §12.1's replication.json, plus the rule ID that stowage requires.
    expect(backups.replication).toEqual({
      Role: 'arn:aws:iam::ACCOUNT_ID:role/s3-replication-role',
      Rules: [
        {
          ID: 'CriticalToReplica',
          Status: 'Enabled',
          Priority: 1,
          DeleteMarkerReplication: { Status: 'Disabled' },
          Filter: { Prefix: 'critical/' },
          Destination: {
            Bucket: 'arn:aws:s3:::ziggie-cloud-backups-replica',
            StorageClass: 'GLACIER',
          },
        },
      ],
    });
    expect(buckets.get('ziggie-cloud-backups-replica')?.versioning).toEqual({ Status: 'Enabled' });
    expect(assets.prefixes?.[0]).toBe('comfyui/generated/');
    expect(assets.versioning).toBeUndefined();
  });
});

describe('desiredState of seed 002 §7.5.3 (S3 JSON pasted as is)', () => {
  it('keeps the lifecycle and CORS documents unchanged', () => {
    const lifecycle = seedJson('seed-002-lifecycle.json');
    const cors = seedJson('seed-002-cors.json');
    const buckets = bucketsSchema.parse({
      'ziggie-assets-prod': { versioning: { Status: 'Enabled' }, lifecycle, cors },
    });
    const [bucket] = desiredState({ buckets });
    expect(bucket?.lifecycle).toEqual(lifecycle);
    expect(bucket?.cors).toEqual(cors);
    expect(bucket?.versioning).toEqual({ Status: 'Enabled' });
  });
});

describe('desiredBucket', () => {
  const expand = (yaml: string) => desiredBucket('b1x', bucketDeclarationSchema.parse(parse(yaml)));

  it('writes webhook targets as QueueConfigurations with a stowage webhook ARN', () => {
    expect(
      expand(`
notifications:
  - { id: uploads, url: 'https://hooks.example.com/s3', events: ['s3:ObjectCreated:*'], prefix: game-assets/, suffix: .png }
  - { id: alerts, topicArn: 'arn:aws:sns:us-east-1:123456789012:t', events: ['s3:ObjectRemoved:*'] }
`).notifications,
    ).toEqual({
      QueueConfigurations: [
        {
          Id: 'uploads',
          QueueArn: 'arn:stowage:webhook:::https://hooks.example.com/s3',
          Events: ['s3:ObjectCreated:*'],
          Filter: {
            Key: {
              FilterRules: [
                { Name: 'prefix', Value: 'game-assets/' },
                { Name: 'suffix', Value: '.png' },
              ],
            },
          },
        },
      ],
      TopicConfigurations: [
        {
          Id: 'alerts',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
          Events: ['s3:ObjectRemoved:*'],
        },
      ],
    });
  });

  it('reads S3 NotificationConfiguration JSON the same as the target list', () => {
    const raw = expand(`
notifications:
  QueueConfigurations:
    - Id: uploads
      QueueArn: 'arn:stowage:webhook:::https://hooks.example.com/s3'
      Events: ['s3:ObjectCreated:*']
      Filter: { Key: { FilterRules: [{ Name: Prefix, Value: game-assets/ }] } }
  LambdaFunctionConfigurations:
    - { Id: thumbs, LambdaFunctionArn: 'arn:aws:lambda:us-east-1:1:function:t', Events: ['s3:ObjectCreated:Put'] }
`);
    const friendly = expand(`
notifications:
  - { id: uploads, url: 'https://hooks.example.com/s3', events: ['s3:ObjectCreated:*'], prefix: game-assets/ }
  - { id: thumbs, lambdaFunctionArn: 'arn:aws:lambda:us-east-1:1:function:t', events: ['s3:ObjectCreated:Put'] }
`);
    expect(raw.notifications).toEqual(friendly.notifications);
  });

  it('reads raw S3 JSON (PascalCase) the same as the friendly form', () => {
    const raw = expand(`
lifecycle:
  Rules:
    - ID: r1
      Status: Enabled
      Filter: { And: { Prefix: tmp/, ObjectSizeGreaterThan: 131072 } }
      Transitions: [{ Days: 30, StorageClass: STANDARD_IA }]
      Expiration: { Days: 365 }
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }
cors: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: [GET] }] }
encryption:
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: k1 } }]
tags: { TagSet: [{ Key: team, Value: games }, { Key: env, Value: prod }] }
logging: { LoggingEnabled: { TargetBucket: logs1 } }
versioning: { Status: Suspended }
`);
    const friendly = expand(`
lifecycle:
  - id: r1
    filter: { prefix: tmp/, objectSizeGreaterThan: 131072 }
    transitions: [{ after: 30d, storageClass: STANDARD_IA }]
    expiration: 1y
    abortIncompleteMultipartUpload: 1w
cors: [{ allowedOrigins: ['*'], allowedMethods: [GET] }]
encryption: { sse: 'aws:kms', kmsKeyId: k1 }
tags: { team: games, env: prod }
logging: { targetBucket: logs1 }
versioning: false
`);
    expect(raw).toEqual(friendly);
    expect(friendly.lifecycle?.Rules[0]?.Filter).toEqual({
      And: { Prefix: 'tmp/', ObjectSizeGreaterThan: 131072 },
    });
    expect(friendly.encryption?.Rules[0]?.BucketKeyEnabled).toBe(false);
    expect(friendly.tags).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'games' },
    ]);
    expect(friendly.logging?.LoggingEnabled.TargetPrefix).toBe('');
    expect(friendly.versioning).toEqual({ Status: 'Suspended' });
  });

  it('gives a whole-bucket rule the filter {} and fills public-access-block flags', () => {
    const b = expand(`
lifecycle: [{ id: all, expiration: 30 }]
publicAccessBlock: { blockPublicPolicy: true }
`);
    expect(b.lifecycle?.Rules[0]).toEqual({
      ID: 'all',
      Status: 'Enabled',
      Filter: {},
      Expiration: { Days: 30 },
    });
    expect(b.publicAccessBlock).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
  });

  it('expands denyInsecureTransport to a stable statement', () => {
    expect(expand('denyInsecureTransport: true').policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'StowageDenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: ['arn:aws:s3:::b1x', 'arn:aws:s3:::b1x/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('leaves undeclared sub-resources undefined', () => {
    expect(expand('{}')).toEqual({ name: 'b1x' });
  });
});
