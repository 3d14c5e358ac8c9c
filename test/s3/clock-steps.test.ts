/**
 * `stowage serve` when the machine's clock steps (an NTP correction after boot, a VM resumed
 * after days), made real with libfaketime (Debian's libfaketime, installed when missing):
 * the server runs with its wall clock read from an offset file this test rewrites, while
 * its monotonic clock keeps real time, as after a real step. The client signs with the
 * same offset (the SDK's systemClockOffset).
 *
 * - A key deleted after the clock stepped back is refused within a second. The key store
 *   was re-read only once the wall clock passed the last read plus half a second, so the
 *   key kept working for as long as the step (an hour, a day).
 * - An overwrite after a step back is not dated before the version it replaces, so
 *   If-Modified-Since with the old Last-Modified is no 304 for new bytes.
 * - Upload IDs made after a restart with the clock stepped back still sort after the older
 *   ones, so a "list a page, abort it, list the next" loop finds every upload.
 * - With `stowage engine clock advance`, a GET with If-Modified-Since of the object's own
 *   Last-Modified is a 304, and a PUT's x-amz-expiration is the one GET then answers.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.js';
import { ensureDebianPackages } from '../helpers/peers.js';
import { BIN, exited, killAllServers, serve, type Started } from '../helpers/serve-process.js';

const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const HOUR = 3600_000;
const ROOT = {
  STOWAGE_ROOT_ACCESS_KEY: 'STWCLOCKKEY',
  STOWAGE_ROOT_SECRET_KEY: 'clock-secret-0123',
};

const cleanups: Array<() => void> = [];
afterAll(() => {
  killAllServers();
  cleanups.forEach((c) => c());
});

/** A data directory and the offset file its server's wall clock follows. */
function setup(): { dataDir: string; step: (offset: string) => Promise<void>; offsetFile: string } {
  ensureDebianPackages({ [FAKETIME]: 'libfaketime' });
  const { dir, cleanup } = tempDir('stowage-clock-');
  cleanups.push(cleanup);
  const offsetFile = path.join(dir, 'offset');
  writeFileSync(offsetFile, '+0\n');
  return {
    dataDir: path.join(dir, 'data'),
    offsetFile,
    // Node caches its Date header for a second, and the SDK takes its clock offset from
    // that header: a request within the second would set the client's clock wrong.
    step: async (offset) => {
      writeFileSync(offsetFile, `${offset}\n`);
      await new Promise((r) => setTimeout(r, 1100));
    },
  };
}

function serveFaked(dataDir: string, offsetFile: string): Promise<Started> {
  return serve(dataDir, {
    ...ROOT,
    LD_PRELOAD: FAKETIME,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  });
}

function client(
  s: Started,
  offsetMs: number,
  key = ROOT.STOWAGE_ROOT_ACCESS_KEY,
  secret = ROOT.STOWAGE_ROOT_SECRET_KEY,
): S3Client {
  return new S3Client({
    endpoint: s.info.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key, secretAccessKey: secret },
    systemClockOffset: offsetMs,
    maxAttempts: 1,
  });
}

/** `stowage <args>` on the data directory (no faked clock: an operator's shell). */
function stowage(dataDir: string, args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
    env: { PATH: process.env.PATH, ...ROOT },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

async function stop(s: Started): Promise<void> {
  s.child.kill('SIGTERM');
  expect(await exited(s.child)).toBe(0);
}

describe('stowage serve when the clock steps back', () => {
  it('refuses a key deleted after the step within a second', async () => {
    const { dataDir, offsetFile, step } = setup();
    const s = await serveFaked(dataDir, offsetFile);
    const policy = path.join(dataDir, '..', 'list.json');
    writeFileSync(
      policy,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
      }),
    );
    const created = stowage(dataDir, [
      '--json',
      'keys',
      'create',
      '--name',
      'temp',
      '--policy',
      policy,
    ]);
    const key = JSON.parse(created) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    await client(s, 0, key.accessKeyId, key.secretAccessKey).send(new ListBucketsCommand({}));
    await step('-1h');
    const behind = client(s, -HOUR, key.accessKeyId, key.secretAccessKey);
    await behind.send(new ListBucketsCommand({}));
    stowage(dataDir, ['keys', 'delete', key.accessKeyId]);
    await new Promise((r) => setTimeout(r, 1000));
    await expect(behind.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    await stop(s);
  }, 60_000);

  it('dates an overwrite no earlier than the version it replaces, versioned or not', async () => {
    const { dataDir, offsetFile, step } = setup();
    const s = await serveFaked(dataDir, offsetFile);
    const now = client(s, 0);
    const behind = client(s, -HOUR);
    for (const [bucket, versioning] of [
      ['plain', undefined],
      ['versioned', 'Enabled'],
      ['suspended', 'Suspended'],
    ] as const) {
      await now.send(new CreateBucketCommand({ Bucket: bucket }));
      if (versioning) {
        await now.send(
          new PutBucketVersioningCommand({
            Bucket: bucket,
            VersioningConfiguration: { Status: versioning },
          }),
        );
      }
      await step('+0');
      await now.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'AAAA' }));
      const first = await now.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
      await step('-1h');
      await behind.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'BBBB' }));
      const second = await behind.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }));
      expect(second.LastModified!.getTime(), bucket).toBeGreaterThanOrEqual(
        first.LastModified!.getTime(),
      );
      // The clock corrected again: a client revalidating with the first Last-Modified
      // gets the new bytes, not a 304.
      await step('+0');
      const got = await now
        .send(
          new GetObjectCommand({ Bucket: bucket, Key: 'k', IfModifiedSince: first.LastModified }),
        )
        .then(
          (r) => r.Body!.transformToString(),
          (err: { $metadata?: { httpStatusCode?: number } }) =>
            `status ${err.$metadata?.httpStatusCode}`,
        );
      expect(got, bucket).toBe('BBBB');
    }
    await stop(s);
  }, 60_000);

  it('lists every upload in a list-and-abort loop after a restart with the clock back', async () => {
    const { dataDir, offsetFile, step } = setup();
    let s = await serveFaked(dataDir, offsetFile);
    const now = client(s, 0);
    await now.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    for (let i = 0; i < 2; i++) {
      await now.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'k' }));
    }
    await stop(s);
    await step('-1h');
    s = await serveFaked(dataDir, offsetFile);
    const behind = client(s, -HOUR);
    await behind.send(new CreateMultipartUploadCommand({ Bucket: 'uploads', Key: 'k' }));
    const aborted: string[] = [];
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      const page = await behind.send(
        new ListMultipartUploadsCommand({ Bucket: 'uploads', MaxUploads: 2, ...markers }),
      );
      for (const u of page.Uploads ?? []) {
        await behind.send(
          new AbortMultipartUploadCommand({ Bucket: 'uploads', Key: u.Key, UploadId: u.UploadId }),
        );
        aborted.push(u.UploadId!);
      }
      if (!page.IsTruncated) break;
      markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
    }
    expect(aborted).toHaveLength(3);
    const left = await behind.send(new ListMultipartUploadsCommand({ Bucket: 'uploads' }));
    expect(left.Uploads ?? []).toEqual([]);
    await stop(s);
  }, 60_000);
});

describe('stowage serve after stowage engine clock advance', () => {
  it('answers 304 to its own Last-Modified, and a PUT the x-amz-expiration GET answers', async () => {
    const { dataDir, offsetFile } = setup();
    let s = await serveFaked(dataDir, offsetFile);
    await client(s, 0).send(new CreateBucketCommand({ Bucket: 'aged' }));
    await client(s, 0).send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'aged',
        LifecycleConfiguration: {
          Rules: [
            { ID: 'week', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 7 } },
          ],
        },
      }),
    );
    await stop(s);
    stowage(dataDir, ['engine', 'clock', 'advance', '2d']);
    s = await serveFaked(dataDir, offsetFile);
    const c = client(s, 0);
    const put = await c.send(new PutObjectCommand({ Bucket: 'aged', Key: 'a', Body: 'x' }));
    const get = await c.send(new GetObjectCommand({ Bucket: 'aged', Key: 'a' }));
    await get.Body!.transformToString();
    expect(put.Expiration).toBeDefined();
    expect(put.Expiration).toBe(get.Expiration);
    await expect(
      c.send(new GetObjectCommand({ Bucket: 'aged', Key: 'a', IfModifiedSince: get.LastModified })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
    await stop(s);
  }, 60_000);
});
