/**
 * `stowage plan` / `apply` for object ownership, the canned ACL, object lock, event
 * notifications (webhook targets), the bucket's region and inventory destinations, against
 * the embedded server and Ceph RGW, read back with aws-cli.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AWS, awsCli, awsS3api } from '../helpers/aws-cli.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { describeS3Targets } from '../helpers/s3-targets.js';
import { storesYaml } from '../helpers/store-yaml.js';

const HOOK = 'https://hooks.example.com/stowage?team=games';

interface PlanJson {
  drift: boolean;
  errors: number;
  buckets: {
    bucket: string;
    changes: { subResource: string; action: string; error?: { message: string } }[];
  }[];
}

describeS3Targets(
  'stowage plan/apply: ownership, ACL, object lock, notifications, region',
  (getTarget) => {
    let work: string;
    let aws: (...args: string[]) => Promise<Record<string, unknown>>;

    beforeAll(() => {
      ensureDebianPackages({ [AWS]: 'awscli' });
      const t = getTarget();
      work = mkdtempSync(path.join(tmpdir(), 'stowage-apply-access-'));
      aws = awsS3api(t, work);
    }, 600_000);
    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** Writes a config with the target as the default store and `buckets`; returns a runner. */
    function configWith(name: string, buckets: string): (...args: string[]) => Promise<CliResult> {
      const t = getTarget();
      const file = path.join(work, `${name}.yaml`);
      writeFileSync(
        file,
        storesYaml(
          {
            target: {
              endpoint: t.endpoint,
              region: t.region,
              credentials: t.credentials,
              checksumPolicy: t.quirks.checksumPolicy,
            },
          },
          'target',
        ) + buckets,
      );
      return (...args) => runCli(['--config', file, ...args], { env: { HOME: work }, cwd: work });
    }

    async function planJson(cli: (...args: string[]) => Promise<CliResult>): Promise<PlanJson> {
      const r = await cli('plan', '--json');
      return JSON.parse(r.stdout) as PlanJson;
    }

    it('applies ownership, a public-read ACL, object lock and a webhook (embedded); aws-cli reads them back; no drift after', async () => {
      const t = getTarget();
      const bucket = t.uniqueBucket('access');
      // RGW has no webhook targets (it wants its own topics) and refuses ownership controls
      // (see the next test).
      const ownership = t.kind === 'stowage' ? '    objectOwnership: BucketOwnerPreferred' : '';
      const lock = '    objectLock: { mode: GOVERNANCE, days: 1d }';
      const hooks =
        t.kind === 'stowage'
          ? [
              '    notifications:',
              `      - { id: uploads, url: '${HOOK}', events: ['s3:ObjectCreated:*'], prefix: game-assets/, suffix: .png }`,
              "      - { id: removals, topicArn: 'arn:aws:sns:us-east-1:123456789012:asset-removals', events: ['s3:ObjectRemoved:*'] }",
            ].join('\n')
          : '';
      const cli = configWith(
        'access',
        [
          'buckets:',
          `  ${bucket}:`,
          '    versioning: Enabled',
          ownership,
          '    acl: public-read',
          lock,
          hooks,
        ]
          .filter(Boolean)
          .join('\n'),
      );
      const applied = await cli('apply', '--yes');
      expect(applied.code, applied.stderr + applied.stdout).toBe(0);
      const subs = ['acl', lock ? 'objectLock' : '', ownership ? 'ownershipControls' : ''];
      for (const sub of subs.filter(Boolean)) {
        expect(applied.stdout).toContain(`created: ${bucket} ${sub}`);
      }

      if (ownership) {
        expect(await aws('get-bucket-ownership-controls', '--bucket', bucket)).toEqual({
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
        });
      }
      const acl = (await aws('get-bucket-acl', '--bucket', bucket)) as {
        Grants: { Grantee: { URI?: string }; Permission: string }[];
      };
      expect(acl.Grants).toContainEqual(
        expect.objectContaining({
          Grantee: expect.objectContaining({
            URI: 'http://acs.amazonaws.com/groups/global/AllUsers',
          }) as unknown,
          Permission: 'READ',
        }),
      );
      if (lock) {
        expect(await aws('get-object-lock-configuration', '--bucket', bucket)).toEqual({
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
          },
        });
      }
      if (hooks) {
        const n = (await aws('get-bucket-notification-configuration', '--bucket', bucket)) as {
          QueueConfigurations: Record<string, unknown>[];
          TopicConfigurations: Record<string, unknown>[];
        };
        expect(n.QueueConfigurations).toEqual([
          {
            Id: 'uploads',
            QueueArn: `arn:stowage:webhook:::${HOOK}`,
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                // Sent as `prefix`/`suffix`; S3 reports the names capitalised.
                FilterRules: [
                  { Name: 'Prefix', Value: 'game-assets/' },
                  { Name: 'Suffix', Value: '.png' },
                ],
              },
            },
          },
        ]);
        expect(n.TopicConfigurations).toEqual([
          {
            Id: 'removals',
            TopicArn: 'arn:aws:sns:us-east-1:123456789012:asset-removals',
            Events: ['s3:ObjectRemoved:*'],
          },
        ]);
      }

      const plan = await cli('plan');
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);

      // Behind stowage's back: the ACL made private again is drift, and apply restores it.
      await aws('put-bucket-acl', '--bucket', bucket, '--acl', 'private');
      const drift = await planJson(cli);
      expect(drift.drift).toBe(true);
      const changed = drift.buckets[0]!.changes.filter((c) => c.action !== 'unchanged');
      expect(changed.map((c) => [c.subResource, c.action])).toEqual([['acl', 'create']]);
      expect((await cli('apply', '--yes')).code).toBe(0);
      expect((await cli('plan')).code).toBe(0);
    });

    it('a refused sub-resource stops its bucket and the buckets that depend on it; the others are applied', async () => {
      const t = getTarget();
      const bucket = t.uniqueBucket('owner');
      const other = t.uniqueBucket('other');
      const dependent = t.uniqueBucket('dependent');
      // What each store refuses at apply time (validate and plan cannot tell): RGW has no
      // ownership controls; the embedded store refuses a logging target that does not exist.
      const refused =
        t.kind === 'rgw'
          ? '    objectOwnership: ObjectWriter'
          : `    logging: { targetBucket: ${t.uniqueBucket('absent')} }`;
      const cli = configWith(
        'refused',
        `buckets:
  ${bucket}:
${refused}
    tags: { team: games }
  ${other}:
    tags: { team: tools }
  ${dependent}:
    logging: { targetBucket: ${bucket} }
`,
      );
      const r = await cli('apply', '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const failure =
        t.kind === 'rgw'
          ? `ownershipControls: s3://${bucket}/: InvalidArgument (bucket ownershipControls configuration, store target)`
          : 'logging: ';
      expect(r.stderr).toContain(`error: bucket "${bucket}" stopped at ${failure}`);
      expect(r.stderr).toMatch(
        new RegExp(`stopped at .*; already applied to it: ${bucket} bucket \\(create\\)$`, 'm'),
      );
      expect(r.stderr).toContain(
        `error: bucket "${dependent}" was not applied: it depends on bucket "${bucket}", which failed`,
      );
      expect(r.stdout).toContain(`created: ${other} tags`);
      expect(r.stdout).not.toContain(`${bucket} tags`);
      expect(r.stdout).not.toContain(`created: bucket ${dependent}`);
      expect(r.stderr).toMatch(/^apply: 3 change\(s\) made, 2 error\(s\)$/m);
      const tags = await aws('get-bucket-tagging', '--bucket', other);
      expect(tags.TagSet).toEqual([{ Key: 'team', Value: 'tools' }]);
      const head = await awsCli(t, work)('s3api', 'head-bucket', '--bucket', dependent);
      expect(head.code, 'the dependent bucket was not created').not.toBe(0);
      // The same outcome as JSON: failures and notApplied, the rest in sync.
      const json = await cli('--json', 'apply', '--yes');
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout) as {
        ok: boolean;
        failures: { bucket: string; subResource: string }[];
        notApplied: { bucket: string; dependsOn: string }[];
      };
      expect(doc.ok).toBe(false);
      expect(doc.failures.map((f) => f.bucket)).toEqual([bucket]);
      expect(doc.notApplied).toEqual([{ bucket: dependent, dependsOn: bucket }]);
    });

    it('reports a declared region that is not the bucket region as an error of the bucket', async () => {
      const t = getTarget();
      const bucket = t.uniqueBucket('region');
      await aws('create-bucket', '--bucket', bucket);
      const cli = configWith('region', `buckets:\n  ${bucket}:\n    region: ap-southeast-2\n`);
      const r = await cli('plan');
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        /region: .*but the file declares region ap-southeast-2: S3 cannot move a bucket to another region/,
      );
      const applied = await cli('apply', '--yes');
      expect(applied.code).toBe(1);
      expect(applied.stderr).toContain(`bucket "${bucket}", region:`);
    });

    it('reports an inventory destination that is neither declared nor in the store', async () => {
      const t = getTarget();
      const bucket = t.uniqueBucket('inv');
      const dest = t.uniqueBucket('inv-dest');
      const cli = configWith(
        'inventory',
        `buckets:\n  ${bucket}:\n    inventory: [{ id: daily, destination: ${dest} }]\n`,
      );
      const missing = await planJson(cli);
      const inventory = () =>
        missing.buckets[0]!.changes.find((c) => c.subResource === 'inventory')!;
      expect(inventory().action).toBe('error');
      expect(inventory().error!.message).toBe(
        `inventory "daily": destination bucket "${dest}" does not exist (create it, or declare it under buckets:)`,
      );
      await aws('create-bucket', '--bucket', dest);
      const found = await planJson(cli);
      const after = found.buckets[0]!.changes.find((c) => c.subResource === 'inventory')!;
      expect(after.error?.message ?? '').not.toContain('does not exist');
    });

    it('reports a replication destination that is missing or not versioned', async () => {
      const t = getTarget();
      const bucket = t.uniqueBucket('repl');
      const dest = t.uniqueBucket('repl-dest');
      const cli = configWith(
        'replication',
        [
          'buckets:',
          `  ${bucket}:`,
          '    versioning: Enabled',
          '    replication:',
          `      rules: [{ id: critical, prefix: critical/, destination: { bucket: ${dest} } }]`,
          '',
        ].join('\n'),
      );
      const replicationError = async (): Promise<string | undefined> => {
        const plan = await planJson(cli);
        const c = plan.buckets[0]!.changes.find((x) => x.subResource === 'replication')!;
        return c.error?.message;
      };
      expect(await replicationError()).toBe(
        `replication rule "critical": destination bucket "${dest}" does not exist (create it, or declare it under buckets:)`,
      );
      await aws('create-bucket', '--bucket', dest);
      expect(await replicationError()).toBe(
        `replication rule "critical": destination bucket "${dest}" needs versioning Enabled (replication requires versioning on both sides)`,
      );
      await aws(
        'put-bucket-versioning',
        '--bucket',
        dest,
        '--versioning-configuration',
        'Status=Enabled',
      );
      expect((await replicationError()) ?? '').not.toMatch(/destination bucket/);
    });
  },
);
