/**
 * `server.defaultEncryption: none`: objects no write and no bucket default asks to encrypt
 * are stored in the clear (as MinIO and Ceph RGW store them), and say so; a request header
 * or a bucket's default encryption still encrypts. Through @aws-sdk/client-s3 and
 * aws-cli, with the bytes at rest checked; a bad value stops the start.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesAtRest, patternBytes, tempDir } from '../helpers/engine.js';
import { s3ErrorOf } from '../helpers/expect-error.js';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { runCli } from '../helpers/run-cli.js';
import { BIN } from '../helpers/serve-process.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

let t: TestServer;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestServer({ server: { defaultEncryption: 'none' } });
  s3 = t.client;
  await s3.send(new CreateBucketCommand({ Bucket: 'clear' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'sealed' }));
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: 'sealed',
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
});
afterAll(async () => t?.close());

async function getBytes(bucket: string, key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  expect(got.ServerSideEncryption).toBeUndefined();
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('server.defaultEncryption: none', () => {
  it('stores a plain PUT in the clear and reports no encryption', async () => {
    const body = patternBytes(300_000, 21);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'clear', Key: 'a.bin', Body: body }));
    expect(put.ServerSideEncryption).toBeUndefined();
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'clear', Key: 'a.bin' }));
    expect(head.ServerSideEncryption).toBeUndefined();
    expect((await getBytes('clear', 'a.bin')).equals(body)).toBe(true);
    expect(bytesAtRest(t.dataDir).includes(body.subarray(1000, 1064))).toBe(true);
    // An unconfigured bucket says it has no default encryption, as S3 did before 2023.
    expect(
      await s3ErrorOf(s3.send(new GetBucketEncryptionCommand({ Bucket: 'clear' }))),
    ).toMatchObject({ name: 'ServerSideEncryptionConfigurationNotFoundError', status: 404 });
  });

  it('still encrypts what a header or the bucket default asks for', async () => {
    const asked = patternBytes(300_000, 22);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'clear',
        Key: 'asked.bin',
        Body: asked,
        ServerSideEncryption: 'AES256',
      }),
    );
    expect(put.ServerSideEncryption).toBe('AES256');
    const byBucket = patternBytes(300_000, 23);
    const sealed = await s3.send(
      new PutObjectCommand({ Bucket: 'sealed', Key: 'b.bin', Body: byBucket }),
    );
    expect(sealed.ServerSideEncryption).toBe('AES256');
    const rest = bytesAtRest(t.dataDir);
    expect(rest.includes(asked.subarray(1000, 1064))).toBe(false);
    expect(rest.includes(byBucket.subarray(1000, 1064))).toBe(false);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'sealed', Key: 'b.bin' }));
    expect(got.ServerSideEncryption).toBe('AES256');
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(byBucket)).toBe(true);
    const config = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'sealed' }));
    expect(
      config.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({ SSEAlgorithm: 'AES256' });
  });

  it('copies and multipart uploads without encryption asked for are in the clear too', async () => {
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: 'clear', Key: 'copy.bin', CopySource: 'clear/asked.bin' }),
    );
    expect(copied.ServerSideEncryption).toBeUndefined();
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'clear', Key: 'mp.bin' }));
    expect(up.ServerSideEncryption).toBeUndefined();
    const part = patternBytes(200_000, 24);
    const p1 = await s3.send(
      new UploadPartCommand({
        Bucket: 'clear',
        Key: 'mp.bin',
        UploadId: up.UploadId,
        PartNumber: 1,
        Body: part,
      }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'clear',
        Key: 'mp.bin',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] },
      }),
    );
    expect(done.ServerSideEncryption).toBeUndefined();
    expect((await getBytes('clear', 'mp.bin')).equals(part)).toBe(true);
    expect(bytesAtRest(t.dataDir).includes(part.subarray(5000, 5064))).toBe(true);
  });

  it('aws-cli cp round-trips and head-object shows no ServerSideEncryption', async () => {
    ensureDebianPackages({ '/usr/bin/aws': 'awscli' });
    const work = tempDir('stowage-sse-none-');
    try {
      const env = {
        HOME: work.dir,
        AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
      };
      const aws = (args: string[], input?: string) =>
        runPeer('/usr/bin/aws', ['--endpoint-url', t.url, ...args], env, {
          cwd: work.dir,
          ...(input !== undefined ? { input } : {}),
        });
      const up = await aws(['s3', 'cp', '-', 's3://clear/cli.txt'], 'from aws-cli\n');
      expect(up.code, up.stderr).toBe(0);
      const head = await aws(['s3api', 'head-object', '--bucket', 'clear', '--key', 'cli.txt']);
      expect(head.code, head.stderr).toBe(0);
      expect(JSON.parse(head.stdout)).not.toHaveProperty('ServerSideEncryption');
      const down = await aws(['s3', 'cp', 's3://clear/cli.txt', '-']);
      expect(down.stdout).toBe('from aws-cli\n');
    } finally {
      work.cleanup();
    }
  });
});

describe('server.defaultEncryption from the config and STOWAGE_DEFAULT_ENCRYPTION', () => {
  it('takes AES256 or none; anything else stops the start naming the key', async () => {
    const work = tempDir('stowage-sse-config-');
    try {
      const show = await runCli(['--json', 'config', 'show'], {
        env: { STOWAGE_DEFAULT_ENCRYPTION: 'none' },
        cwd: work.dir,
      });
      expect(JSON.parse(show.stdout)).toMatchObject({ server: { defaultEncryption: 'none' } });
      const defaults = await runCli(['--json', 'config', 'show'], { cwd: work.dir });
      expect(JSON.parse(defaults.stdout)).toMatchObject({
        server: { defaultEncryption: 'AES256' },
      });
      const serve = spawnSync(
        process.execPath,
        [BIN, 'serve', '--port', '0', '--data-dir', work.dir],
        {
          env: { PATH: process.env.PATH ?? '', STOWAGE_DEFAULT_ENCRYPTION: 'aws:kms' },
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(serve.status).toBe(2);
      expect(serve.stderr).toMatch(
        /env STOWAGE_DEFAULT_ENCRYPTION: server\.defaultEncryption: expected one of AES256\|none, got "aws:kms"/,
      );
      expect(serve.stderr).not.toMatch(/\n\s+at /);
    } finally {
      work.cleanup();
    }
  });
});
