/**
 * `stowage plan` and `stowage apply` in-process against the embedded server with seed 000's
 * design (test/fixtures/bucketconfig/ziggie.yaml), checked with aws-cli; and against Ceph RGW
 * for the sub-resources it supports, with what it refuses reported per sub-resource.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  ListObjectsV2Command,
  PutPublicAccessBlockCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS, awsJson } from '../helpers/aws-cli.js';
import { storesYaml } from '../helpers/store-yaml.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { describeS3Targets } from '../helpers/s3-targets.js';
import { applyPlan } from '../../src/bucketconfig/apply.js';
import { diffText } from '../../src/bucketconfig/diff-text.js';
import { desiredState } from '../../src/bucketconfig/normalize.js';
import { planBuckets } from '../../src/bucketconfig/plan.js';
import { loadConfig } from '../../src/config/load.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const ZIGGIE = readFileSync(
  fileURLToPath(new URL('../fixtures/bucketconfig/ziggie.yaml', import.meta.url)),
  'utf8',
);

interface PlanJson {
  drift: boolean;
  errors: number;
  buckets: {
    bucket: string;
    createBucket: boolean;
    changes: { subResource: string; action: string; diff?: string[]; prune?: boolean }[];
  }[];
}

describe('diffText', () => {
  it('shows only the changed regions, with two lines of context and stable key order', () => {
    const rules = (days: number) => ({
      Rules: [
        { ID: 'a', Status: 'Enabled', Filter: {}, Expiration: { Days: 30 } },
        { Status: 'Enabled', ID: 'b', Filter: { Prefix: 'tmp/' }, Expiration: { Days: days } },
      ],
    });
    expect(diffText(rules(7), rules(7))).toEqual([]);
    expect(diffText(rules(7), rules(14))).toEqual([
      '      {',
      '        "Expiration": {',
      '-         "Days": 7',
      '+         "Days": 14',
      '        },',
      '        "Filter": {',
    ]);
    expect(
      diffText(
        { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7 },
        { A: 0, B: 2, C: 3, D: 4, E: 5, F: 6, G: 8 },
      ),
    ).toEqual([
      '  {',
      '-   "A": 1,',
      '+   "A": 0,',
      '    "B": 2,',
      '    "C": 3,',
      '…',
      '    "E": 5,',
      '    "F": 6,',
      '-   "G": 7',
      '+   "G": 8',
      '  }',
    ]);
  });
});

describe('stowage plan / apply on the embedded server (seed 000)', () => {
  let t: TestServer;
  let work: string;
  let configFile: string;
  let aws: (...args: string[]) => Promise<Record<string, unknown>>;
  const env = (): Record<string, string> => ({
    HOME: work,
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
  });
  const cli = (...args: string[]): Promise<CliResult> =>
    runCli(['--config', configFile, ...args], { env: env(), cwd: work });
  const writeConfig = (buckets: string): void =>
    writeFileSync(
      configFile,
      storesYaml({ local: { endpoint: t.url, region: 'us-east-1' } }, 'local') + buckets,
    );

  beforeAll(async () => {
    ensureDebianPackages({ [AWS]: 'awscli' });
    t = await startTestServer();
    work = mkdtempSync(path.join(tmpdir(), 'stowage-plan-apply-'));
    configFile = path.join(work, 'stowage.yaml');
    aws = awsJson({ endpoint: t.url, region: 'us-east-1', credentials: TEST_KEY }, work);
    writeConfig(ZIGGIE);
  }, 600_000);
  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('plans every bucket and sub-resource as a create on an empty server (exit 2)', async () => {
    const r = await cli('plan');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('+ bucket ziggie-cloud-assets: create in eu-north-1');
    expect(r.stdout).toContain('  + lifecycle: create');
    const j = await cli('plan', '--json');
    expect(j.code).toBe(2);
    const plan = JSON.parse(j.stdout) as PlanJson;
    expect(plan.drift).toBe(true);
    expect(plan.errors).toBe(0);
    expect(plan.buckets.map((b) => [b.bucket, b.createBucket])).toEqual([
      ['ziggie-cloud-assets', true],
      ['ziggie-cloud-backups', true],
      ['ziggie-cloud-logs', true],
      ['ziggie-cloud-backups-replica', true],
    ]);
    const backups = plan.buckets[1]!.changes.map((c) => `${c.subResource}:${c.action}`);
    expect(backups).toEqual([
      'versioning:create',
      'publicAccessBlock:create',
      'encryption:create',
      'lifecycle:create',
      'replication:create',
      'prefixes:create',
    ]);
  });

  it('refuses to apply without --yes when stdin is not a terminal (exit 2)', async () => {
    const r = await cli('apply');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes to confirm');
    const dry = await cli('apply', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would create: bucket ziggie-cloud-logs');
    expect((await cli('plan')).code).toBe(2); // the dry run changed nothing
  });

  it('applies (dependencies first), then plan shows no drift and a second apply does nothing', async () => {
    const r = await cli('apply', '--yes');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const done = r.stdout.split('\n').filter((l) => /^(created|updated|removed): /.test(l));
    // The logging target and the replica are made before the buckets that point at them.
    expect(done.indexOf('created: bucket ziggie-cloud-logs')).toBeLessThan(
      done.indexOf('created: ziggie-cloud-assets logging'),
    );
    expect(done.indexOf('created: ziggie-cloud-backups-replica versioning')).toBeLessThan(
      done.indexOf('created: ziggie-cloud-backups replication'),
    );
    const plan = await cli('plan');
    expect(plan.stdout).toContain('plan: no changes, the buckets match the file');
    expect(plan.code).toBe(0);
    const again = await cli('apply', '--yes');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('apply: 0 change(s) made, 0 error(s)');
    const asJson = await cli('apply', '--yes', '--json');
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      ok: true,
      dryRun: false,
      applied: [],
      errors: [],
    });
  });

  it('reads back what the file declares with aws-cli', async () => {
    const lc = await aws(
      's3api',
      'get-bucket-lifecycle-configuration',
      '--bucket',
      'ziggie-cloud-backups',
    );
    const rules = lc.Rules as Record<string, unknown>[];
    expect(rules.map((r) => r.ID).sort()).toEqual(['BackupArchival', 'ComfyUICleanup']);
    const archival = rules.find((r) => r.ID === 'BackupArchival')!;
    expect(archival).toMatchObject({
      Status: 'Enabled',
      Filter: { Prefix: 'n8n/workflows/' },
      Expiration: { Days: 730 },
      NoncurrentVersionTransitions: [{ NoncurrentDays: 7, StorageClass: 'GLACIER_IR' }],
    });
    expect(archival.Transitions).toEqual([
      { Days: 30, StorageClass: 'GLACIER_IR' },
      { Days: 90, StorageClass: 'GLACIER' },
      { Days: 365, StorageClass: 'DEEP_ARCHIVE' },
    ]);
    const cors = await aws('s3api', 'get-bucket-cors', '--bucket', 'ziggie-cloud-assets');
    expect(cors.CORSRules).toEqual([
      {
        AllowedHeaders: ['*'],
        AllowedMethods: ['GET', 'HEAD'],
        AllowedOrigins: ['https://ziggie.cloud', 'https://*.ziggie.cloud', 'http://localhost:3000'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 3600,
      },
    ]);
  });

  it('shows a change made behind its back as drift with a readable diff; apply restores it', async () => {
    writeConfig(
      ZIGGIE.replace(
        '  ziggie-cloud-logs:\n',
        '  ziggie-cloud-logs:\n    tags: { team: platform, cost-center: ops }\n',
      ),
    );
    expect((await cli('apply', '--yes', '--bucket', 'ziggie-cloud-logs')).code).toBe(0);
    await aws(
      's3api',
      'put-bucket-tagging',
      '--bucket',
      'ziggie-cloud-logs',
      '--tagging',
      'TagSet=[{Key=team,Value=games},{Key=cost-center,Value=ops}]',
    );
    const r = await cli('plan', '--bucket', 'ziggie-cloud-logs');
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')).toEqual([
      'bucket ziggie-cloud-logs: 1 change(s)',
      '  ~ tags: update',
      '          {',
      '            "Key": "team",',
      '      -     "Value": "games"',
      '      +     "Value": "platform"',
      '          }',
      '        ]',
      'plan: 0 bucket(s) to create; sub-resources: 0 to create, 1 to update, 0 to remove; 0 error(s)',
      '',
    ]);
    const fix = await cli('apply', '--yes');
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('updated: ziggie-cloud-logs tags');
    const tags = await aws('s3api', 'get-bucket-tagging', '--bucket', 'ziggie-cloud-logs');
    expect(tags.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'platform' },
        { Key: 'cost-center', Value: 'ops' },
      ]),
    );
    expect((await cli('plan')).code).toBe(0);
  });

  it('shows an undeclared sub-resource as remove and removes it only with --prune', async () => {
    writeConfig(ZIGGIE); // the tags of ziggie-cloud-logs are no longer declared
    const r = await cli('plan', '--json');
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout) as PlanJson;
    const logs = plan.buckets.find((b) => b.bucket === 'ziggie-cloud-logs')!;
    expect(logs.changes.filter((c) => c.action !== 'unchanged')).toMatchObject([
      { subResource: 'tags', action: 'remove', prune: false },
    ]);
    expect((await cli('plan')).stdout).toContain(
      '  - tags: remove (not declared; apply removes it only with --prune)',
    );
    const keep = await cli('apply', '--yes');
    expect(keep.code).toBe(0);
    expect(keep.stdout).not.toContain('removed:');
    expect(
      (await aws('s3api', 'get-bucket-tagging', '--bucket', 'ziggie-cloud-logs')).TagSet,
    ).toHaveLength(2);
    const prune = await cli('apply', '--yes', '--prune');
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('removed: ziggie-cloud-logs tags');
    const plan2 = await cli('plan');
    expect(plan2.code).toBe(0);
  });

  it('a failure stops its bucket, naming the sub-resource and what was applied to it', async () => {
    writeConfig(`buckets:
  broken-logging:
    versioning: Enabled
    logging: { targetBucket: no-such-target-bucket }
    tags: { team: games }
`);
    const r = await cli('apply', '--yes');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('created: broken-logging versioning');
    expect(r.stdout).not.toContain('broken-logging tags');
    expect(r.stderr).toMatch(
      /^error: bucket "broken-logging" stopped at logging: .+; already applied to it: broken-logging bucket \(create\), broken-logging versioning \(create\)$/m,
    );
    const plan = JSON.parse((await cli('plan', '--json')).stdout) as PlanJson;
    expect(
      plan.buckets[0]!.changes.filter((c) => c.action !== 'unchanged').map((c) => c.subResource),
    ).toEqual(['logging', 'tags']);
  });

  it('replicates without a role on the embedded store, then suspends versioning and drops replication in one --prune apply', async () => {
    writeConfig(`buckets:
  repl-dst:
    versioning: Enabled
  repl-src:
    versioning: Enabled
    replication:
      # No role: the embedded store needs none (bucketconfig.md).
      rules:
        - { id: all, prefix: '', destination: { bucket: repl-dst } }
`);
    expect((await cli('apply', '--yes')).code).toBe(0);
    writeConfig(`buckets:
  repl-dst:
    versioning: Enabled
  repl-src:
    versioning: Suspended
`);
    const r = await cli('apply', '--yes', '--prune');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.indexOf('removed: repl-src replication')).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf('updated: repl-src versioning')).toBeGreaterThan(
      lines.indexOf('removed: repl-src replication'),
    );
    expect((await aws('s3api', 'get-bucket-versioning', '--bucket', 'repl-src')).Status).toBe(
      'Suspended',
    );
    expect((await cli('plan')).code).toBe(0);
  });

  it('refuses an undeclared --bucket as a usage error', async () => {
    const r = await cli('plan', '--bucket', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bucket: bucket "nope" is not declared in buckets:');
  });
});

describeS3Targets(
  'stowage apply on an independent S3 server',
  (getTarget) => {
    let work: string;
    let configFile: string;
    let bucket: string;

    beforeAll(() => {
      const target = getTarget();
      work = mkdtempSync(path.join(tmpdir(), 'stowage-apply-rgw-'));
      configFile = path.join(work, 'stowage.yaml');
      bucket = target.uniqueBucket('apply');
      const logs = target.uniqueBucket('applylogs');
      const store = storesYaml(
        {
          rgw: {
            endpoint: target.endpoint,
            region: target.region,
            credentials: target.credentials,
            checksumPolicy: target.quirks.checksumPolicy,
          },
        },
        'rgw',
      );
      writeFileSync(
        configFile,
        `${store}buckets:
  ${logs}: {}
  ${bucket}:
    versioning: Enabled
    publicRead: [public/]
    cors:
      - { allowedOrigins: ['https://example.com'], allowedMethods: [GET] }
    lifecycle:
      - { id: tmp, prefix: tmp/, expiration: 7d }
    tags: { team: games }
    logging: { targetBucket: ${logs}, targetPrefix: logs/ }
    prefixes: [public/, tmp/]
`,
      );
    });
    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });
    const cli = (...args: string[]): Promise<CliResult> =>
      runCli(['--config', configFile, ...args], { env: { HOME: work }, cwd: work });

    it('applies the supported sub-resources and reports logging as a per-sub-resource error', async () => {
      const r = await cli('apply', '--yes');
      expect(r.code).toBe(1);
      for (const sub of ['versioning', 'policy', 'cors', 'lifecycle', 'tags', 'prefixes']) {
        expect(r.stdout).toContain(`created: ${bucket} ${sub}`);
      }
      expect(r.stderr).toMatch(
        new RegExp(
          `error: bucket "${bucket}", logging: .*does not support the bucket logging configuration`,
        ),
      );
      const plan = await cli('plan', '--json');
      const body = JSON.parse(plan.stdout) as PlanJson;
      const changes = body.buckets.find((b) => b.bucket === bucket)!.changes;
      // RGW ignores the logging query and reads "not set": logging stays to create.
      expect(changes.filter((c) => c.action !== 'unchanged').map((c) => c.subResource)).toEqual([
        'logging',
      ]);
    });
  },
  { kinds: ['rgw'] },
);

describeS3Targets('apply on what the file does not declare', (getTarget) => {
  const works: string[] = [];
  afterAll(() => {
    for (const work of works) rmSync(work, { recursive: true, force: true });
  });

  /**
   * `stowage --config F …` with a file that declares `bucket` as `yaml` on this target: the
   * run's default store, or with `ownStore` no default and the bucket's own `store:`.
   */
  function cliFor(
    bucket: string,
    yaml: string,
    { ownStore = false } = {},
  ): (...args: string[]) => Promise<CliResult> {
    const target = getTarget();
    const work = mkdtempSync(path.join(tmpdir(), 'stowage-undeclared-'));
    works.push(work);
    const configFile = path.join(work, 'stowage.yaml');
    const store = storesYaml(
      {
        s: {
          endpoint: target.endpoint,
          region: target.region,
          credentials: target.credentials,
          checksumPolicy: target.quirks.checksumPolicy,
        },
      },
      ownStore ? undefined : 's',
    );
    const declared = ownStore ? `store: s\n    ${yaml}` : yaml;
    writeFileSync(configFile, `${store}buckets:\n  ${bucket}:\n    ${declared}\n`);
    return (...args) =>
      runCli(['--config', configFile, ...args], { env: { HOME: work }, cwd: work });
  }

  /** `apply --yes` succeeds, and the plan after it shows no drift; returns the apply. */
  async function appliesInSync(cli: (...args: string[]) => Promise<CliResult>): Promise<CliResult> {
    const applied = await cli('apply', '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    const plan = await cli('plan');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    return applied;
  }

  it('a declared SSE-S3 on a bucket still to be created is planned with it (RGW encrypts nothing by default)', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('sse-new');
    const cli = cliFor(bucket, 'encryption: { sse: AES256 }');
    const plan = await cli('plan', '--json');
    expect(plan.code, plan.stderr).toBe(2);
    const changes = (JSON.parse(plan.stdout) as PlanJson).buckets[0]!.changes;
    expect(changes.map((c) => `${c.subResource}:${c.action}`)).toEqual(['encryption:create']);
    const applied = await cli('apply', '--yes');
    if (target.kind === 'rgw') {
      // This RGW has no SSE-S3 backend: the apply says so instead of passing it over.
      expect(applied.code).toBe(1);
      expect(applied.stdout + applied.stderr).toMatch(/encryption/);
    } else {
      expect(applied.code, applied.stderr).toBe(0);
      expect((await cli('plan')).code).toBe(0);
    }
  });

  it('a bucket with its own store: needs no run store (no --store, no defaultStore)', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('own-store');
    const cli = cliFor(bucket, 'tags: { team: games }', { ownStore: true });
    expect((await appliesInSync(cli)).stdout).toContain(`created: ${bucket} tags`);
  });

  it('cors: [] and lifecycle: [] remove the live documents without --prune, then plan is clean', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('no-rules');
    const withRules = cliFor(
      bucket,
      `cors: [{ allowedOrigins: ['https://example.com'], allowedMethods: [GET] }]
    lifecycle: [{ id: tmp, prefix: tmp/, expiration: 7d }]`,
    );
    const created = await withRules('apply', '--yes');
    expect(created.code, created.stderr).toBe(0);
    const cli = cliFor(bucket, 'cors: []\n    lifecycle: []');
    const plan = await cli('plan', '--json');
    expect(plan.code, plan.stderr).toBe(2);
    const changes = (JSON.parse(plan.stdout) as PlanJson).buckets[0]!.changes;
    expect(changes.map((c) => `${c.subResource}:${c.action}:${c.prune}`).sort()).toEqual([
      'cors:remove:true',
      'lifecycle:remove:true',
    ]);
    const applied = await cli('apply', '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`removed: ${bucket} cors`);
    expect(applied.stdout).toContain(`removed: ${bucket} lifecycle`);
    const s3 = target.newClient();
    await expect(s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).rejects.toMatchObject({
      name: 'NoSuchCORSConfiguration',
    });
    const after = await cli('plan');
    expect(after.code, after.stdout).toBe(0);
    // On a new bucket, "no rules" is nothing to do.
    expect(
      (await cliFor(target.uniqueBucket('no-rules-new'), 'cors: []')('apply', '--yes')).code,
    ).toBe(0);
  });

  it('a lifecycle rule filtering on a prefix and a tag is in sync once applied (RGW answers it without its And)', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('and-filter');
    const cli = cliFor(
      bucket,
      'lifecycle: [{ id: tmp, filter: { prefix: tmp/, tags: { team: games } }, expiration: 7d }]',
    );
    await appliesInSync(cli);
  });

  it('a public policy the live (undeclared) public access block would refuse is a plan error, not a stop of apply; --prune converges', async () => {
    const target = getTarget();
    const s3 = target.newClient();
    const bucket = target.uniqueBucket('blocked');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicPolicy: true },
      }),
    );
    const cli = cliFor(bucket, 'publicRead: [public/]\n    tags: { team: games }');
    const plan = await cli('plan', '--json');
    expect(plan.code).toBe(1);
    const changes = (JSON.parse(plan.stdout) as PlanJson).buckets[0]!.changes;
    const policy = changes.find((c) => c.subResource === 'policy') as {
      error?: { message: string };
    };
    expect(policy.error?.message).toMatch(
      /public access block on the store \(not in the file\) has BlockPublicPolicy/,
    );
    // The rest of the bucket is applied; the policy is reported, not attempted.
    const applied = await cli('apply', '--yes');
    expect(applied.code).toBe(1);
    expect(applied.stdout).toContain(`created: ${bucket} tags`);
    expect(applied.stderr).toMatch(/policy: .*BlockPublicPolicy/);
    const pruned = await cli('apply', '--yes', '--prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect((await cli('plan')).code).toBe(0);
  });

  it('region: us-east-1 is in sync once apply created the bucket (RGW answers its zonegroup, "default")', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('east');
    await appliesInSync(cliFor(bucket, 'region: us-east-1\n    tags: { team: games }'));
  });

  it('a bucket created since the plan (another apply of the file) is taken as there', async () => {
    const target = getTarget();
    const bucket = target.uniqueBucket('raced');
    const work = mkdtempSync(path.join(tmpdir(), 'stowage-raced-'));
    works.push(work);
    const configPath = path.join(work, 'stowage.yaml');
    writeFileSync(configPath, `buckets:\n  ${bucket}:\n    tags: { team: games }\n`);
    const desired = desiredState(await loadConfig({ configPath, env: {}, cwd: work }));
    const session = { s3: target.newClient() };
    const plan = await planBuckets(async () => session, desired);
    expect(plan.buckets[0]!.createBucket).toBe(true);
    await session.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const result = await applyPlan(async () => session, plan, desired);
    expect(result.failures).toEqual([]);
    expect((await planBuckets(async () => session, desired)).drift).toBe(false);
  });

  it('versioning not declared is suspended once by --prune, and then in sync', async () => {
    const target = getTarget();
    const s3 = target.newClient();
    const bucket = target.uniqueBucket('suspend');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const cli = cliFor(bucket, 'tags: { team: games }');
    const first = await cli('apply', '--yes', '--prune');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`removed: ${bucket} versioning`);
    const second = await cli('apply', '--yes', '--prune');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('removed:');
    const plan = await cli('plan');
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('folder placeholders not declared are kept by apply, with or without --prune, and plan shows no drift for them', async () => {
    const target = getTarget();
    const s3 = target.newClient();
    const bucket = target.uniqueBucket('folders');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of ['products/', 'keep/me/']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0) }));
    }
    const cli = cliFor(bucket, 'prefixes: [uploads/]');
    const applied = await cli('apply', '--yes', '--prune');
    expect(applied.code, applied.stderr).toBe(0);
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map(
      (o) => o.Key,
    );
    expect(keys?.sort()).toEqual(['keep/me/', 'products/', 'uploads/']);
    const plan = await cli('plan');
    expect(plan.code, plan.stdout).toBe(0);
  });
});
