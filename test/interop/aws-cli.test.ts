/**
 * Debian's aws-cli 2.9 against `stowage serve`, running the commands of the seeds
 * (000 and 002, and seed 004's backup and recovery) with --endpoint-url and checking their
 * output.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBytes } from '../helpers/engine.js';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const AWS = '/usr/bin/aws';
let t: TestServer;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  ensureDebianPackages({ [AWS]: 'awscli', '/usr/bin/curl': 'curl' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-awscli-'));
  env = {
    HOME: work,
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: path.join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
    AWS_PAGER: '',
  };
}, 600_000);
afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function aws(...args: string[]): Promise<RunResult> {
  const r = await runPeer(AWS, ['--endpoint-url', t.url, ...args], env, { cwd: work });
  return r;
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await aws(...args);
  expect(r.code, `aws ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const out = await ok(...args, '--output', 'json');
  return out.trim() === '' ? {} : (JSON.parse(out) as Record<string, unknown>);
}

/** s3api head-object, parsed. */
function headObject(bucket: string, key: string): Promise<Record<string, unknown>> {
  return json('s3api', 'head-object', '--bucket', bucket, '--key', key);
}

/** A bash pipeline in the work directory; it must succeed. Returns its stdout. */
async function pipeline(script: string): Promise<string> {
  const r = await runPeer('/bin/bash', ['-c', `set -o pipefail; ${script}`], env, { cwd: work });
  expect(r.code, `${script}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function file(rel: string, content: string | Buffer): string {
  const p = path.join(work, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe('aws-cli: buckets and configuration (seed 000 §bucket setup, seed 002 §7)', () => {
  it('creates buckets with s3 mb and s3api create-bucket, and lists them', async () => {
    expect(await ok('s3', 'mb', 's3://ziggie-assets-prod', '--region', 'eu-north-1')).toContain(
      'make_bucket: ziggie-assets-prod',
    );
    await ok('s3api', 'create-bucket', '--bucket', 'ziggie-cloud-assets', '--region', 'us-east-1');
    await ok(
      's3api',
      'create-bucket',
      '--bucket',
      'ziggie-cloud-backups',
      '--create-bucket-configuration',
      'LocationConstraint=eu-north-1',
    );
    const ls = await ok('s3', 'ls');
    expect(ls).toMatch(/ziggie-assets-prod/);
    expect(ls).toMatch(/ziggie-cloud-assets/);
    expect(
      (await json('s3api', 'get-bucket-location', '--bucket', 'ziggie-cloud-backups'))
        .LocationConstraint,
    ).toBe('eu-north-1');
    const dup = await aws('s3api', 'create-bucket', '--bucket', 'ziggie-cloud-assets');
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/BucketAlreadyOwnedByYou/);
  });

  it('versioning', async () => {
    await ok(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'ziggie-cloud-backups',
      '--versioning-configuration',
      'Status=Enabled',
    );
    expect(
      (await json('s3api', 'get-bucket-versioning', '--bucket', 'ziggie-cloud-backups')).Status,
    ).toBe('Enabled');
  });

  it('stores and returns policy, CORS, lifecycle, tiering, encryption, public access block, logging, inventory, replication, metrics', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PublicReadGameAssets',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::ziggie-cloud-assets/game-assets/*',
        },
      ],
    };
    file('policy.json', JSON.stringify(policy));
    await ok(
      's3api',
      'put-bucket-policy',
      '--bucket',
      'ziggie-cloud-assets',
      '--policy',
      'file://policy.json',
    );
    expect(
      JSON.parse(
        (await json('s3api', 'get-bucket-policy', '--bucket', 'ziggie-cloud-assets'))
          .Policy as string,
      ),
    ).toEqual(policy);

    const cors = {
      CORSRules: [
        {
          AllowedOrigins: ['https://*.ziggie.cloud'],
          AllowedMethods: ['GET', 'HEAD'],
          AllowedHeaders: ['*'],
          MaxAgeSeconds: 3600,
        },
      ],
    };
    file('cors.json', JSON.stringify(cors));
    await ok(
      's3api',
      'put-bucket-cors',
      '--bucket',
      'ziggie-cloud-assets',
      '--cors-configuration',
      'file://cors.json',
    );
    expect(await json('s3api', 'get-bucket-cors', '--bucket', 'ziggie-cloud-assets')).toEqual(cors);

    const lifecycle = {
      Rules: [
        {
          ID: 'backups-to-glacier',
          Status: 'Enabled',
          Filter: { Prefix: 'n8n/' },
          Transitions: [
            { Days: 30, StorageClass: 'STANDARD_IA' },
            { Days: 90, StorageClass: 'GLACIER' },
          ],
          Expiration: { Days: 365 },
        },
      ],
    };
    file('lifecycle.json', JSON.stringify(lifecycle));
    await ok(
      's3api',
      'put-bucket-lifecycle-configuration',
      '--bucket',
      'ziggie-cloud-backups',
      '--lifecycle-configuration',
      'file://lifecycle.json',
    );
    expect(
      await json('s3api', 'get-bucket-lifecycle-configuration', '--bucket', 'ziggie-cloud-backups'),
    ).toMatchObject(lifecycle);

    const tiering = {
      Id: 'archive-old-assets',
      Status: 'Enabled',
      Tierings: [{ Days: 90, AccessTier: 'ARCHIVE_ACCESS' }],
    };
    file('tiering.json', JSON.stringify(tiering));
    await ok(
      's3api',
      'put-bucket-intelligent-tiering-configuration',
      '--bucket',
      'ziggie-cloud-assets',
      '--id',
      'archive-old-assets',
      '--intelligent-tiering-configuration',
      'file://tiering.json',
    );
    expect(
      (
        await json(
          's3api',
          'get-bucket-intelligent-tiering-configuration',
          '--bucket',
          'ziggie-cloud-assets',
          '--id',
          'archive-old-assets',
        )
      ).IntelligentTieringConfiguration,
    ).toEqual(tiering);
    const listed = await json(
      's3api',
      'list-bucket-intelligent-tiering-configurations',
      '--bucket',
      'ziggie-cloud-assets',
    );
    expect(listed.IntelligentTieringConfigurationList).toEqual([tiering]);

    await ok(
      's3api',
      'put-bucket-encryption',
      '--bucket',
      'ziggie-cloud-backups',
      '--server-side-encryption-configuration',
      '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}',
    );
    expect(
      JSON.stringify(
        await json('s3api', 'get-bucket-encryption', '--bucket', 'ziggie-cloud-backups'),
      ),
    ).toContain('AES256');

    await ok(
      's3api',
      'put-public-access-block',
      '--bucket',
      'ziggie-cloud-backups',
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
    );
    expect(
      (await json('s3api', 'get-public-access-block', '--bucket', 'ziggie-cloud-backups'))
        .PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });

    await ok(
      's3api',
      'put-bucket-logging',
      '--bucket',
      'ziggie-cloud-assets',
      '--bucket-logging-status',
      '{"LoggingEnabled":{"TargetBucket":"ziggie-cloud-backups","TargetPrefix":"access-logs/"}}',
    );
    expect(
      (await json('s3api', 'get-bucket-logging', '--bucket', 'ziggie-cloud-assets')).LoggingEnabled,
    ).toEqual({ TargetBucket: 'ziggie-cloud-backups', TargetPrefix: 'access-logs/' });

    const inventory = {
      Destination: {
        S3BucketDestination: {
          Bucket: 'arn:aws:s3:::ziggie-cloud-backups',
          Format: 'CSV',
          Prefix: 'inventory',
        },
      },
      IsEnabled: true,
      Id: 'weekly',
      IncludedObjectVersions: 'Current',
      OptionalFields: ['Size', 'StorageClass'],
      Schedule: { Frequency: 'Weekly' },
    };
    file('inventory.json', JSON.stringify(inventory));
    await ok(
      's3api',
      'put-bucket-inventory-configuration',
      '--bucket',
      'ziggie-cloud-assets',
      '--id',
      'weekly',
      '--inventory-configuration',
      'file://inventory.json',
    );
    expect(
      (
        await json(
          's3api',
          'get-bucket-inventory-configuration',
          '--bucket',
          'ziggie-cloud-assets',
          '--id',
          'weekly',
        )
      ).InventoryConfiguration,
    ).toEqual(inventory);

    await ok(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'ziggie-assets-prod',
      '--versioning-configuration',
      'Status=Enabled',
    );
    const replication = {
      Role: 'arn:aws:iam::123456789012:role/replication',
      Rules: [
        {
          ID: 'to-backups',
          Status: 'Enabled',
          Priority: 1,
          Filter: {},
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: { Bucket: 'arn:aws:s3:::ziggie-cloud-backups' },
        },
      ],
    };
    file('replication.json', JSON.stringify(replication));
    await ok(
      's3api',
      'put-bucket-replication',
      '--bucket',
      'ziggie-assets-prod',
      '--replication-configuration',
      'file://replication.json',
    );
    expect(
      (await json('s3api', 'get-bucket-replication', '--bucket', 'ziggie-assets-prod'))
        .ReplicationConfiguration,
    ).toEqual(replication);

    await ok(
      's3api',
      'put-bucket-metrics-configuration',
      '--bucket',
      'ziggie-cloud-assets',
      '--id',
      'EntireBucket',
      '--metrics-configuration',
      'Id=EntireBucket',
    );
    expect(
      (
        await json(
          's3api',
          'get-bucket-metrics-configuration',
          '--bucket',
          'ziggie-cloud-assets',
          '--id',
          'EntireBucket',
        )
      ).MetricsConfiguration,
    ).toEqual({ Id: 'EntireBucket' });

    const missing = await aws('s3api', 'get-bucket-cors', '--bucket', 'ziggie-cloud-backups');
    expect(missing.stderr).toMatch(/NoSuchCORSConfiguration/);
  });
});

describe('aws-cli: objects (seed 000 §uploads, §backups, §operations)', () => {
  it('cp with content type, cache control, metadata and storage class', async () => {
    file('generated-asset.png', 'PNG-bytes');
    await ok(
      's3',
      'cp',
      'generated-asset.png',
      's3://ziggie-cloud-assets/generated/2026/generated-asset.png',
      '--content-type',
      'image/png',
      '--cache-control',
      'public, max-age=31536000',
      '--metadata',
      'source=comfyui,workflow=sprite-v2',
      '--only-show-errors',
    );
    const head = await headObject('ziggie-cloud-assets', 'generated/2026/generated-asset.png');
    expect(head).toMatchObject({
      ContentType: 'image/png',
      CacheControl: 'public, max-age=31536000',
      Metadata: { source: 'comfyui', workflow: 'sprite-v2' },
      ContentLength: 9,
      ETag: `"${md5('PNG-bytes')}"`,
    });
    file('model.glb', patternBytes(1000, 3));
    await ok(
      's3',
      'cp',
      'model.glb',
      's3://ziggie-cloud-assets/3d-models/',
      '--storage-class',
      'STANDARD_IA',
      '--only-show-errors',
    );
    expect((await headObject('ziggie-cloud-assets', '3d-models/model.glb')).StorageClass).toBe(
      'STANDARD_IA',
    );
  });

  it('sync with excludes and a storage class, then sync back down', async () => {
    for (const name of [
      'sprites/hero.png',
      'sprites/enemy.png',
      'audio/theme.ogg',
      'tmp/scratch.psd',
      'notes.txt',
    ]) {
      // Older than the upload by more than a second: listings give whole seconds, rounded
      // down as S3 does, so aws-cli (on S3 as here) uploads again a file written in the
      // same second as its upload.
      const p = file(`local-assets/${name}`, `content of ${name}`);
      const past = new Date(Date.now() - 5000);
      utimesSync(p, past, past);
    }
    await ok(
      's3',
      'sync',
      './local-assets/',
      's3://ziggie-cloud-assets/game-assets/',
      '--exclude',
      '*.psd',
      '--exclude',
      'notes.txt',
      '--storage-class',
      'INTELLIGENT_TIERING',
      '--only-show-errors',
    );
    const keys = (
      await json(
        's3api',
        'list-objects-v2',
        '--bucket',
        'ziggie-cloud-assets',
        '--prefix',
        'game-assets/',
      )
    ).Contents as Array<{ Key: string; StorageClass: string }>;
    expect(keys.map((k) => k.Key).sort()).toEqual([
      'game-assets/audio/theme.ogg',
      'game-assets/sprites/enemy.png',
      'game-assets/sprites/hero.png',
    ]);
    expect(new Set(keys.map((k) => k.StorageClass))).toEqual(new Set(['INTELLIGENT_TIERING']));
    // A second sync uploads nothing.
    const again = await ok(
      's3',
      'sync',
      './local-assets/',
      's3://ziggie-cloud-assets/game-assets/',
      '--exclude',
      '*.psd',
      '--exclude',
      'notes.txt',
    );
    expect(again.trim()).toBe('');
    await ok(
      's3',
      'sync',
      's3://ziggie-cloud-assets/game-assets/sprites/',
      './local-backup/sprites/',
      '--only-show-errors',
    );
    expect(readFileSync(path.join(work, 'local-backup/sprites/hero.png'), 'utf8')).toBe(
      'content of sprites/hero.png',
    );
    // Listings and Last-Modified give the same whole second (the files got it as their
    // time): a download sync with --exact-timestamps finds nothing to do.
    const exact = await ok(
      's3',
      'sync',
      's3://ziggie-cloud-assets/game-assets/sprites/',
      './local-backup/sprites/',
      '--exact-timestamps',
    );
    expect(exact.trim()).toBe('');
  });

  it('a 40 MiB multipart upload and download, bytes compared', async () => {
    const big = patternBytes(40 * 1024 * 1024, 11);
    file('backup.sql.gz', big);
    await ok(
      's3',
      'cp',
      'backup.sql.gz',
      's3://ziggie-cloud-backups/database/backup.sql.gz',
      '--only-show-errors',
    );
    const head = await headObject('ziggie-cloud-backups', 'database/backup.sql.gz');
    expect(head.ContentLength).toBe(big.length);
    expect(String(head.ETag)).toMatch(/-\d+"$/);
    await ok(
      's3',
      'cp',
      's3://ziggie-cloud-backups/database/backup.sql.gz',
      'restored.sql.gz',
      '--only-show-errors',
    );
    expect(readFileSync(path.join(work, 'restored.sql.gz')).equals(big)).toBe(true);
  });

  it('a dump piped into s3 cp - (length unknown: multipart) and piped back out', async () => {
    // `pg_dump | gzip | aws s3 cp - s3://…`, the usual way to back a database up without a
    // temporary file: aws-cli cannot know the length, so anything over 8 MiB goes up in parts.
    const dump = patternBytes(30 * 1024 * 1024 + 7, 12);
    file('dump.sql', dump);
    const cli = `${AWS} --endpoint-url ${t.url}`;
    const to = 's3://ziggie-cloud-backups/database/piped.sql.gz';
    await pipeline(`gzip -1 < dump.sql | ${cli} s3 cp - ${to} --storage-class STANDARD_IA`);
    const head = await headObject('ziggie-cloud-backups', 'database/piped.sql.gz');
    expect(String(head.ETag)).toMatch(/-\d+"$/);
    expect(head.StorageClass).toBe('STANDARD_IA');
    const down = await pipeline(`${cli} s3 cp ${to} - | gunzip | md5sum`);
    expect(down.split(' ')[0]).toBe(md5(dump));
  });

  it('presign, then fetch the URL with curl', async () => {
    const url = (
      await ok(
        's3',
        'presign',
        's3://ziggie-cloud-backups/database/backup.sql.gz',
        '--expires-in',
        '3600',
      )
    ).trim();
    expect(url).toMatch(/X-Amz-Signature=/);
    const r = await runPeer(
      '/usr/bin/curl',
      ['-s', '-o', path.join(work, 'via-presign'), '-w', '%{http_code}', url],
      {},
    );
    expect(r.stdout).toBe('200');
    expect(
      readFileSync(path.join(work, 'via-presign')).equals(
        readFileSync(path.join(work, 'restored.sql.gz')),
      ),
    ).toBe(true);
    const tampered = await runPeer(
      '/usr/bin/curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        url.replace('backup.sql.gz', 'backup.sql.gz2'),
      ],
      {},
    );
    expect(tampered.stdout).toBe('403');
  });

  it('ls --recursive --summarize', async () => {
    const out = await ok('s3', 'ls', 's3://ziggie-cloud-assets/', '--recursive', '--summarize');
    expect(out).toMatch(/game-assets\/sprites\/hero\.png/);
    expect(out).toMatch(/Total Objects: 5\n/);
    expect(out).toMatch(/Total Size: \d+/);
  });

  it('list-objects-v2 --query by storage class, restore-object, copy with metadata directive', async () => {
    file('old-asset.png', 'old');
    await ok(
      's3',
      'cp',
      'old-asset.png',
      's3://ziggie-cloud-assets/archive/old-asset.png',
      '--storage-class',
      'GLACIER',
      '--only-show-errors',
    );
    const cold = JSON.parse(
      await ok(
        's3api',
        'list-objects-v2',
        '--bucket',
        'ziggie-cloud-assets',
        '--query',
        'Contents[?StorageClass==`GLACIER`].Key',
        '--output',
        'json',
      ),
    );
    expect(cold).toEqual(['archive/old-asset.png']);
    const denied = await aws('s3', 'cp', 's3://ziggie-cloud-assets/archive/old-asset.png', 'x.png');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/InvalidObjectState|GLACIER/);
    await ok(
      's3api',
      'restore-object',
      '--bucket',
      'ziggie-cloud-assets',
      '--key',
      'archive/old-asset.png',
      '--restore-request',
      '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}',
    );
    expect((await headObject('ziggie-cloud-assets', 'archive/old-asset.png')).Restore).toBe(
      'ongoing-request="true"',
    );
    await ok(
      's3',
      'cp',
      's3://ziggie-cloud-assets/generated/2026/generated-asset.png',
      's3://ziggie-cloud-assets/generated/2026/renamed.png',
      '--metadata-directive',
      'REPLACE',
      '--content-type',
      'image/webp',
      '--only-show-errors',
    );
    const copied = await headObject('ziggie-cloud-assets', 'generated/2026/renamed.png');
    expect(copied).toMatchObject({ ContentType: 'image/webp', Metadata: {} });
  });

  it('folder markers with put-object, mv --recursive, rm and rm --recursive', async () => {
    for (const k of ['game-assets/', 'generated/', 'backups/'])
      await ok('s3api', 'put-object', '--bucket', 'ziggie-assets-prod', '--key', k);
    const markers = (await json('s3api', 'list-objects-v2', '--bucket', 'ziggie-assets-prod'))
      .Contents as Array<{ Key: string; Size: number }>;
    expect(markers.map((m) => [m.Key, m.Size])).toEqual([
      ['backups/', 0],
      ['game-assets/', 0],
      ['generated/', 0],
    ]);
    for (const n of ['a.png', 'b.png', 'sub/c.png']) file(`mv-src/${n}`, n);
    await ok(
      's3',
      'cp',
      'mv-src/',
      's3://ziggie-cloud-assets/old-path/',
      '--recursive',
      '--only-show-errors',
    );
    await ok(
      's3',
      'mv',
      's3://ziggie-cloud-assets/old-path/',
      's3://ziggie-cloud-assets/new-path/',
      '--recursive',
      '--only-show-errors',
    );
    const after = (
      (
        await json(
          's3api',
          'list-objects-v2',
          '--bucket',
          'ziggie-cloud-assets',
          '--prefix',
          'new-path/',
        )
      ).Contents as Array<{ Key: string }>
    ).map((c) => c.Key);
    expect(after).toEqual(['new-path/a.png', 'new-path/b.png', 'new-path/sub/c.png']);
    // aws-cli prints nothing for an empty page.
    expect(
      (
        await json(
          's3api',
          'list-objects-v2',
          '--bucket',
          'ziggie-cloud-assets',
          '--prefix',
          'old-path/',
        )
      ).Contents,
    ).toBeUndefined();
    await ok('s3', 'rm', 's3://ziggie-cloud-assets/new-path/a.png', '--only-show-errors');
    await ok('s3', 'rm', 's3://ziggie-cloud-assets/new-path/', '--recursive', '--only-show-errors');
    expect(
      (
        await json(
          's3api',
          'list-objects-v2',
          '--bucket',
          'ziggie-cloud-assets',
          '--prefix',
          'new-path/',
        )
      ).Contents,
    ).toBeUndefined();
  });

  it('versioned backups: every upload a version, deletes leave markers', async () => {
    file('n8n/workflows.json', '{"v":1}');
    await ok(
      's3',
      'cp',
      'n8n/workflows.json',
      's3://ziggie-cloud-backups/n8n/workflows.json',
      '--only-show-errors',
    );
    file('n8n/workflows.json', '{"v":2}');
    await ok(
      's3',
      'cp',
      'n8n/workflows.json',
      's3://ziggie-cloud-backups/n8n/workflows.json',
      '--only-show-errors',
    );
    await ok('s3', 'rm', 's3://ziggie-cloud-backups/n8n/workflows.json', '--only-show-errors');
    const v = await json(
      's3api',
      'list-object-versions',
      '--bucket',
      'ziggie-cloud-backups',
      '--prefix',
      'n8n/',
    );
    expect((v.Versions as unknown[]).length).toBe(2);
    expect((v.DeleteMarkers as unknown[]).length).toBe(1);
    const check = await aws('s3', 'ls', 's3://ziggie-cloud-backups/n8n/workflows.json');
    expect(check.code).not.toBe(0);
  });

  it("seed 004's recovery: a deleted file from its versions, a prefix from the backup bucket", async () => {
    // §Backup & Recovery of seed 004, command for command (bucket names as there).
    await ok('s3api', 'create-bucket', '--bucket', 'localex-storage');
    await ok('s3api', 'create-bucket', '--bucket', 'localex-backup');
    await ok(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      'localex-storage',
      '--versioning-configuration',
      'Status=Enabled',
    );
    const photo = 's3://localex-storage/items/123/photo.jpg';
    await ok('s3', 'cp', file('v1/photo.jpg', 'jpeg, first'), photo, '--only-show-errors');
    await ok(
      's3',
      'cp',
      file('thumb.jpg', 'thumbnail'),
      's3://localex-storage/items/123/thumb.jpg',
      '--only-show-errors',
    );
    await ok(
      's3',
      'cp',
      file('profile.json', '{"name":"ada"}'),
      's3://localex-storage/profiles/7/profile.json',
      '--only-show-errors',
    );
    // Regular snapshots: bucket to bucket.
    await ok('s3', 'sync', 's3://localex-storage/items/', 's3://localex-backup/items/');
    await ok('s3', 'sync', 's3://localex-storage/profiles/', 's3://localex-backup/profiles/');
    expect(
      (await ok('s3', 'ls', '--recursive', 's3://localex-backup/'))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/).at(-1)),
    ).toEqual(['items/123/photo.jpg', 'items/123/thumb.jpg', 'profiles/7/profile.json']);

    // Overwritten, then deleted.
    await ok('s3', 'cp', file('v2/photo.jpg', 'jpeg, second'), photo, '--only-show-errors');
    await ok('s3', 'rm', photo, '--only-show-errors');
    await ok('s3', 'rm', 's3://localex-storage/items/123/thumb.jpg', '--only-show-errors');

    // Restore Deleted File: list versions, copy the one wanted over the key.
    const listed = await json(
      's3api',
      'list-object-versions',
      '--bucket',
      'localex-storage',
      '--prefix',
      'items/123/photo.jpg',
    );
    const versions = listed.Versions as Array<{
      VersionId: string;
      ETag: string;
      IsLatest: boolean;
    }>;
    expect(versions.map((v) => v.IsLatest)).toEqual([false, false]);
    expect((listed.DeleteMarkers as Array<{ IsLatest: boolean }>)[0]!.IsLatest).toBe(true);
    const first = versions.find((v) => v.ETag === `"${md5('jpeg, first')}"`)!;
    const copied = await json(
      's3api',
      'copy-object',
      '--bucket',
      'localex-storage',
      '--copy-source',
      `localex-storage/items/123/photo.jpg?versionId=${first.VersionId}`,
      '--key',
      'items/123/photo.jpg',
    );
    expect(copied.CopySourceVersionId).toBe(first.VersionId);
    await ok('s3', 'cp', photo, path.join(work, 'restored.jpg'), '--only-show-errors');
    expect(readFileSync(path.join(work, 'restored.jpg'), 'utf8')).toBe('jpeg, first');

    // Restore from Backup: the deleted thumbnail comes back, the restored photo stays.
    const synced = await ok(
      's3',
      'sync',
      's3://localex-backup/items/123/',
      's3://localex-storage/items/123/',
    );
    expect(synced).toContain('copy: s3://localex-backup/items/123/thumb.jpg');
    await ok('s3', 'cp', 's3://localex-storage/items/123/thumb.jpg', path.join(work, 'thumb.out'));
    expect(readFileSync(path.join(work, 'thumb.out'), 'utf8')).toBe('thumbnail');
    expect(
      (
        await json(
          's3api',
          'list-object-versions',
          '--bucket',
          'localex-storage',
          '--prefix',
          'items/123/photo.jpg',
        )
      ).Versions,
    ).toHaveLength(3);

    // Check Bucket Policies: none set is S3's NoSuchBucketPolicy.
    const policy = await aws('s3api', 'get-bucket-policy', '--bucket', 'localex-storage');
    expect(policy.code).not.toBe(0);
    expect(policy.stderr).toMatch(/NoSuchBucketPolicy/);
  });

  it('object lock: locked backups as docs/serve.md shows them', async () => {
    // Not in the seeds: the "Object Lock" example of docs/serve.md, command for command.
    const b = 'backups-locked';
    await ok('s3api', 'create-bucket', '--bucket', b, '--object-lock-enabled-for-bucket');
    await ok(
      's3api',
      'put-object-lock-configuration',
      '--bucket',
      b,
      '--object-lock-configuration',
      '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":30}}}',
    );
    file('db.dump', 'pg_dump output');
    await ok('s3', 'cp', 'db.dump', `s3://${b}/db.dump`, '--only-show-errors');
    const head = await headObject(b, 'db.dump');
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    const until = Date.parse(head.ObjectLockRetainUntilDate as string);
    expect(Math.abs(until - (Date.now() + 30 * 86_400_000))).toBeLessThan(120_000);
    const versionId = head.VersionId as string;
    const refused = await aws(
      's3api',
      'delete-object',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--version-id',
      versionId,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/AccessDenied.*protected by object lock/);
    await ok(
      's3api',
      'put-object-legal-hold',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--legal-hold',
      'Status=ON',
    );
    expect(await json('s3api', 'get-object-legal-hold', '--bucket', b, '--key', 'db.dump')).toEqual(
      {
        LegalHold: { Status: 'ON' },
      },
    );
    const held = await aws(
      's3api',
      'delete-object',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--version-id',
      versionId,
      '--bypass-governance-retention',
    );
    expect(held.stderr).toMatch(/AccessDenied.*legal hold/);
    await ok(
      's3api',
      'put-object-legal-hold',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--legal-hold',
      'Status=OFF',
    );
    // GOVERNANCE becomes COMPLIANCE only with the bypass.
    const compliance = [
      's3api',
      'put-object-retention',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--retention',
      '{"Mode":"COMPLIANCE","RetainUntilDate":"2099-01-01T00:00:00Z"}',
    ];
    expect((await aws(...compliance)).stderr).toMatch(/AccessDenied.*changed to COMPLIANCE/);
    await ok(...compliance, '--bypass-governance-retention');
    expect(await json('s3api', 'get-object-retention', '--bucket', b, '--key', 'db.dump')).toEqual({
      Retention: { Mode: 'COMPLIANCE', RetainUntilDate: '2099-01-01T00:00:00+00:00' },
    });
    const stillLocked = await aws(
      's3api',
      'delete-object',
      '--bucket',
      b,
      '--key',
      'db.dump',
      '--version-id',
      versionId,
      '--bypass-governance-retention',
    );
    expect(stillLocked.stderr).toMatch(/AccessDenied.*COMPLIANCE/);
    const suspend = await aws(
      's3api',
      'put-bucket-versioning',
      '--bucket',
      b,
      '--versioning-configuration',
      'Status=Suspended',
    );
    expect(suspend.stderr).toMatch(/InvalidBucketState/);
    // A governed version goes with the bypass; the compliant one stays.
    await ok('s3', 'cp', 'db.dump', `s3://${b}/db2.dump`, '--only-show-errors');
    const second = await headObject(b, 'db2.dump');
    await ok(
      's3api',
      'delete-object',
      '--bucket',
      b,
      '--key',
      'db2.dump',
      '--version-id',
      second.VersionId as string,
      '--bypass-governance-retention',
    );
    const left = await json('s3api', 'list-object-versions', '--bucket', b);
    expect((left.Versions as Array<{ Key: string }>).map((v) => v.Key)).toEqual(['db.dump']);
  });

  it('errors reach the user with S3 codes', async () => {
    const r = await aws(
      's3api',
      'get-object',
      '--bucket',
      'ziggie-cloud-assets',
      '--key',
      'missing.png',
      path.join(work, 'out'),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NoSuchKey/);
    const b = await aws('s3', 'ls', 's3://no-such-bucket-here');
    expect(b.stderr).toMatch(/NoSuchBucket/);
  });
});
