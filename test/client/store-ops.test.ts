/**
 * src/client/ops against the embedded server: what the CLI tests do not reach cheaply —
 * emptying a bucket across DeleteObjects batches, per-key delete failures, listing pages,
 * stat's exact-key version filter.
 */
import {
  CreateMultipartUploadCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBucket,
  deleteBucket,
  emptyBucket,
  listObjects,
  listVersions,
  statObject,
  waitForRestore,
  type StoreSession,
} from '../../src/client/ops/index.js';
import { parseIdentityPolicy } from '../../src/s3api/documents/policy.js';
import { principalArn } from '../../src/s3api/identity.js';
import { tempDir } from '../helpers/engine.js';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const LIMITED = {
  accessKeyId: 'STWLIMITEDKEY0000001',
  secretAccessKey: 'limited-secret-key-000000000000000000000',
};

let t: TestServer;
let session: StoreSession;

beforeAll(async () => {
  t = await startTestServer({
    identities: (id) =>
      id === LIMITED.accessKeyId
        ? {
            ...LIMITED,
            name: 'limited',
            root: false,
            arn: principalArn('limited', false),
            policies: [
              parseIdentityPolicy(
                JSON.stringify({
                  Version: '2012-10-17',
                  Statement: [
                    { Effect: 'Allow', Action: 's3:*', Resource: '*' },
                    {
                      Effect: 'Deny',
                      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
                      Resource: 'arn:aws:s3:::guarded/keep/*',
                    },
                  ],
                }),
              ),
            ],
          }
        : undefined,
  });
  session = { s3: t.client };
});
afterAll(() => t.close());

async function putMany(bucket: string, keys: string[], body = 'x'): Promise<void> {
  for (let i = 0; i < keys.length; i += 32) {
    await Promise.all(
      keys
        .slice(i, i + 32)
        .map((Key) => t.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body }))),
    );
  }
}

describe('emptyBucket', () => {
  it('deletes 1,040 versions in two DeleteObjects batches and aborts unfinished uploads', async () => {
    await createBucket(session, { bucket: 'many-versions' });
    await t.client.send(
      new PutBucketVersioningCommand({
        Bucket: 'many-versions',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const keys = Array.from({ length: 520 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    await putMany('many-versions', keys, 'v1');
    await putMany('many-versions', keys, 'v2');
    await t.client.send(new CreateMultipartUploadCommand({ Bucket: 'many-versions', Key: 'mpu' }));
    const results = [];
    for await (const r of emptyBucket(session, 'many-versions')) results.push(r);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.filter((r) => r.versionId !== undefined)).toHaveLength(1040);
    expect(results.filter((r) => r.uploadId !== undefined)).toHaveLength(1);
    await deleteBucket(session, 'many-versions');
  });

  it('reports keys the store refuses to delete and deletes the rest (rb --force exits 1)', async () => {
    await createBucket(session, { bucket: 'guarded' });
    await putMany('guarded', ['keep/a', 'keep/b', 'scratch/c', 'scratch/d']);
    const { dir, cleanup } = tempDir('stowage-ops-home-');
    const r = await runCli(['--endpoint-url', t.url, 'rb', 's3://guarded', '--force'], {
      env: {
        HOME: dir,
        AWS_ACCESS_KEY_ID: LIMITED.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LIMITED.secretAccessKey,
      },
    });
    cleanup();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('delete: s3://guarded/scratch/c\ndelete: s3://guarded/scratch/d\n');
    expect(r.stderr).toMatch(/^stowage: s3:\/\/guarded\/keep\/a: .*\(E_ACCESS_DENIED\)$/m);
    expect(r.stderr).toMatch(/^stowage: s3:\/\/guarded\/keep\/b: .*\(E_ACCESS_DENIED\)$/m);
    expect(r.stderr).toMatch(
      /^stowage: s3:\/\/guarded\/ was not removed: 2 item\(s\) could not be deleted \(E_BUCKET_NOT_EMPTY\)$/m,
    );
    const left = [];
    for await (const e of listObjects(session, { bucket: 'guarded', recursive: true }))
      left.push(e);
    expect(left.map((e) => (e.type === 'object' ? e.key : e.prefix))).toEqual(['keep/a', 'keep/b']);
  });

  it('pages on past undeletable versions without skipping deletable ones', async () => {
    // keep/a and keep/b are left from the test above; the limited key may not delete them.
    await putMany('guarded', ['a0', 'scratch/e', 'scratch/f', 'scratch/g', 'scratch/h']);
    const limited = new S3Client({
      endpoint: t.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: LIMITED,
    });
    const results = [];
    try {
      for await (const r of emptyBucket({ s3: limited }, 'guarded', { pageSize: 2 })) {
        results.push(`${r.ok ? 'ok' : r.error.code} ${r.key}`);
      }
    } finally {
      limited.destroy();
    }
    expect(results).toEqual([
      'ok a0',
      'E_ACCESS_DENIED keep/a',
      'E_ACCESS_DENIED keep/b',
      'ok scratch/e',
      'ok scratch/f',
      'ok scratch/g',
      'ok scratch/h',
    ]);
  });
});

describe('listings and stat', () => {
  beforeAll(async () => {
    await createBucket(session, { bucket: 'listing' });
    await t.client.send(
      new PutBucketVersioningCommand({
        Bucket: 'listing',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    await putMany('listing', ['a.png', 'a.png.bak', 'b/1', 'b/2', 'c/1', 'd']);
    await putMany('listing', ['a.png'], 'second');
  });

  it('pages through ListObjectsV2 with prefixes first within each page', async () => {
    const seen = [];
    for await (const e of listObjects(session, { bucket: 'listing', pageSize: 2 })) {
      seen.push(e.type === 'object' ? e.key : `PRE ${e.prefix}`);
    }
    expect(seen.sort()).toEqual(['PRE b/', 'PRE c/', 'a.png', 'a.png.bak', 'd']);
  });

  it('lists versions across pages', async () => {
    const seen = [];
    for await (const v of listVersions(session, { bucket: 'listing', pageSize: 2 })) seen.push(v);
    expect(seen).toHaveLength(7);
    expect(seen.filter((v) => v.key === 'a.png').map((v) => v.isLatest)).toEqual([true, false]);
  });

  it('stat lists the versions of exactly its key, not of keys it prefixes', async () => {
    const s = await statObject(session, { bucket: 'listing', key: 'a.png' });
    expect(s.size).toBe(6);
    expect(s.versions?.map((v) => v.isLatest)).toEqual([true, false]);
    expect(s.versionCount).toBe(2);
  });

  it('stat counts every version of a key with more than 1,000, and keeps the newest 1,000', async () => {
    await putMany(
      'listing',
      Array.from({ length: 1003 }, () => 'many'),
    );
    await putMany('listing', ['many.next']);
    const s = await statObject(session, { bucket: 'listing', key: 'many' });
    expect(s.versionCount).toBe(1003);
    expect(s.versions).toHaveLength(1000);
    expect(s.versions![0]!.isLatest).toBe(true);
  });

  it('waitForRestore returns at once for an object that is not archived', async () => {
    const state = await waitForRestore(session, { bucket: 'listing', key: 'd', timeoutMs: 1000 });
    expect(state).toEqual({ ongoing: false });
  });
});
