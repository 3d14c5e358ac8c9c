/**
 * Issue 5's acceptance test: every `stowage init` preset is applied to the embedded server,
 * then every declared sub-resource of every bucket is read back with aws-cli
 * (`s3api get-bucket-*`) and compared to what the file declares; a plan afterwards shows
 * no drift.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredDocuments, sameDocument } from '../../src/bucketconfig/compare.js';
import { desiredState } from '../../src/bucketconfig/normalize.js';
import { PRESETS } from '../../src/bucketconfig/presets/index.js';
import type { SubResourceName } from '../../src/client/bucket-config/index.js';
import { loadConfig } from '../../src/config/load.js';
import { AWS, awsCli, awsJson } from '../helpers/aws-cli.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

let t: TestServer;
let work: string;
let aws: (...args: string[]) => Promise<Record<string, unknown>>;
let awsRaw: ReturnType<typeof awsCli>;

beforeAll(async () => {
  ensureDebianPackages({ [AWS]: 'awscli' });
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-presets-apply-'));
  const target = { endpoint: t.url, region: 'us-east-1', credentials: TEST_KEY };
  aws = awsJson(target, work);
  awsRaw = awsCli(target, work);
}, 600_000);
afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Reads one sub-resource with aws-cli, in the shape the declaration expands to. */
async function readWithAwsCli(name: SubResourceName, bucket: string): Promise<unknown> {
  const b = ['--bucket', bucket];
  switch (name) {
    case 'versioning':
      return aws('s3api', 'get-bucket-versioning', ...b);
    case 'policy':
      return JSON.parse(String((await aws('s3api', 'get-bucket-policy', ...b)).Policy));
    case 'cors':
      return aws('s3api', 'get-bucket-cors', ...b);
    case 'lifecycle':
      return aws('s3api', 'get-bucket-lifecycle-configuration', ...b);
    case 'intelligentTiering':
      return (await aws('s3api', 'list-bucket-intelligent-tiering-configurations', ...b))
        .IntelligentTieringConfigurationList;
    case 'encryption':
      return (await aws('s3api', 'get-bucket-encryption', ...b)).ServerSideEncryptionConfiguration;
    case 'publicAccessBlock':
      return (await aws('s3api', 'get-public-access-block', ...b)).PublicAccessBlockConfiguration;
    case 'logging':
      return aws('s3api', 'get-bucket-logging', ...b);
    case 'inventory':
      return (await aws('s3api', 'list-bucket-inventory-configurations', ...b))
        .InventoryConfigurationList;
    case 'replication':
      return (await aws('s3api', 'get-bucket-replication', ...b)).ReplicationConfiguration;
    case 'tags':
      return (await aws('s3api', 'get-bucket-tagging', ...b)).TagSet;
    case 'prefixes': {
      const listed = await aws('s3api', 'list-objects-v2', ...b);
      const keys = ((listed.Contents ?? []) as { Key: string; Size: number }[])
        .filter((o) => o.Key.endsWith('/') && o.Size === 0)
        .map((o) => o.Key);
      return keys;
    }
    default:
      throw new Error(`no aws-cli reader for ${name}`);
  }
}

describe('every preset, applied to the embedded server and read back with aws-cli', () => {
  for (const preset of PRESETS) {
    it(`${preset.name}: apply, then each declared sub-resource equals the file; no drift`, async () => {
      const file = path.join(work, `${preset.name}.yaml`);
      writeFileSync(file, preset.yaml);
      const env = {
        HOME: work,
        AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      };
      const cli = (...args: string[]) =>
        runCli(['--config', file, '--endpoint-url', t.url, ...args], { env, cwd: work });

      const config = await loadConfig({ configPath: file, env: {}, cwd: work });
      const buckets = desiredState(config);
      expect(buckets.length).toBeGreaterThan(0);
      // This test talks plain HTTP: a policy denying requests without TLS would lock stowage
      // out of its bucket, so plan refuses that policy (and only it) with a clear error.
      const httpOnlyDenied = buckets.filter((b) =>
        JSON.stringify(desiredDocuments(b).policy ?? {}).includes('aws:SecureTransport'),
      );

      const applied = await cli('apply', '--yes');
      const plan = await cli('plan');
      if (httpOnlyDenied.length === 0) {
        expect(applied.code, applied.stderr + applied.stdout).toBe(0);
        expect(plan.code, plan.stdout).toBe(0);
      } else {
        expect(applied.code, applied.stderr + applied.stdout).toBe(1);
        expect(applied.stdout + applied.stderr).toMatch(
          /policy.*denies requests without TLS.*plain HTTP: applying it would lock stowage out of the bucket/,
        );
        expect(plan.code).toBe(1);
      }

      let compared = 0;
      for (const bucket of buckets) {
        const documents = desiredDocuments(bucket);
        if (httpOnlyDenied.includes(bucket)) {
          // The refused policy was not applied: the bucket has none.
          const policy = await awsRaw('s3api', 'get-bucket-policy', '--bucket', bucket.name);
          expect(policy.stderr).toMatch(/NoSuchBucketPolicy/);
          delete documents.policy;
        }
        for (const [name, desired] of Object.entries(documents) as [SubResourceName, unknown][]) {
          const live = await readWithAwsCli(name, bucket.name);
          expect(
            sameDocument(name, desired, live),
            `${bucket.name} ${name}\nfile: ${JSON.stringify(desired)}\naws:  ${JSON.stringify(live)}`,
          ).toBe(true);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(3);
    }, 180_000);
  }
});
