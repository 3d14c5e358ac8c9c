/**
 * A 1 GiB file through `stowage serve` by every real client: each uploads it with its own
 * multipart path (its own part size), the stored ETag must be the multipart ETag of that
 * part size, each downloads it back with its own download path, and the SHA-256 of the
 * download must equal the original's. Files are hashed as streams, never held in memory.
 * Speeds are printed for information only; nothing asserts on time.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  UploadPartCommand,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer, type RunResult } from '../helpers/peers.js';
import { BOTO3_CLIENT, boto3Env, pythonWithBoto3 } from '../helpers/python.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';
import { rcloneEnv } from '../helpers/rclone.js';

const MIB = 1024 * 1024;
const SIZE = 1024 * MIB;
const BLOCK = 64 * MIB;
const BUCKET = 'big-interop';
/** Each client's part size in MiB: different sizes, some leaving a short last part. */
const PART_MIB = { awscli: 8, rclone: 16, s3cmd: 25, boto3: 10, sdk: 12 } as const;
type ClientName = keyof typeof PART_MIB;
const PEER_TIMEOUT_MS = 840_000;
const TEST_TIMEOUT_MS = 900_000;

/** MD5s of consecutive parts of one size, fed a stream; gives S3's multipart ETag. */
class PartDigests {
  private readonly md5s: Buffer[] = [];
  private current = createHash('md5');
  private filled = 0;
  constructor(private readonly partSize: number) {}

  update(chunk: Buffer): void {
    for (let off = 0; off < chunk.length;) {
      const take = Math.min(this.partSize - this.filled, chunk.length - off);
      this.current.update(chunk.subarray(off, off + take));
      this.filled += take;
      off += take;
      if (this.filled === this.partSize) {
        this.md5s.push(this.current.digest());
        this.current = createHash('md5');
        this.filled = 0;
      }
    }
  }

  /** `"<md5 of the part md5s>-<parts>"`; call once, at the end. */
  etag(): string {
    const all = this.filled > 0 ? [...this.md5s, this.current.digest()] : this.md5s;
    return `"${createHash('md5').update(Buffer.concat(all)).digest('hex')}-${all.length}"`;
  }
}

/**
 * Writes `SIZE` bytes: one random 64 MiB block repeated, with every MiB stamped with its
 * index so that no two parts are equal. Returns the SHA-256 and each client's ETag.
 */
async function writeBigFile(
  file: string,
): Promise<{ sha256: string; etags: Record<ClientName, string> }> {
  const block = randomBytes(BLOCK);
  const sha = createHash('sha256');
  const parts = Object.fromEntries(
    Object.entries(PART_MIB).map(([name, mib]) => [name, new PartDigests(mib * MIB)]),
  ) as Record<ClientName, PartDigests>;
  const handle = await open(file, 'w');
  try {
    for (let b = 0; b < SIZE / BLOCK; b++) {
      for (let m = 0; m < BLOCK / MIB; m++) block.writeBigUInt64BE(BigInt(b * 64 + m), m * MIB);
      sha.update(block);
      for (const p of Object.values(parts)) p.update(block);
      await handle.write(block);
    }
  } finally {
    await handle.close();
  }
  const etags = Object.fromEntries(
    Object.entries(parts).map(([name, p]) => [name, p.etag()]),
  ) as Record<ClientName, string>;
  return { sha256: sha.digest('hex'), etags };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MIB }))
    h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Uploads `size` bytes of `file` by hand: CreateMultipartUpload (declaring CRC32, as
 * s3transfer and lib-storage do, unless `declare` is false) / UploadPart ×N, 4 at a time,
 * each streamed from the file with the SDK's default trailing CRC32 / Complete.
 */
async function sdkMultipartUpload(
  client: S3Client,
  key: string,
  file: string,
  partSize: number,
  { size = SIZE, declare = true }: { size?: number; declare?: boolean } = {},
): Promise<void> {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      ...(declare ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
    }),
  );
  const count = Math.ceil(size / partSize);
  const parts: Array<{ ETag: string; PartNumber: number; ChecksumCRC32?: string }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const start = i * partSize;
      const end = Math.min(size, start + partSize);
      const out = await client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: i + 1,
          ContentLength: end - start,
          Body: createReadStream(file, { start, end: end - 1 }),
        }),
      );
      parts[i] = { ETag: out.ETag!, PartNumber: i + 1, ChecksumCRC32: out.ChecksumCRC32 };
    }
  };
  try {
    await Promise.all([worker(), worker(), worker(), worker()]);
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
    throw err;
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

const BOTO3_SCRIPT = String.raw`${BOTO3_CLIENT}import sys
from boto3.s3.transfer import TransferConfig

endpoint, access_key, secret_key, action, bucket, key, local, part_mib = sys.argv[1:9]
s3 = s3_client(endpoint, access_key, secret_key)
size = int(part_mib) * 1024 * 1024
tc = TransferConfig(multipart_threshold=size, multipart_chunksize=size, max_concurrency=4)
if action == "upload":
    s3.upload_file(local, bucket, key, Config=tc)
elif action == "download":
    s3.download_file(bucket, key, local, Config=tc)
else:
    s3.delete_object(Bucket=bucket, Key=key)
`;

let t: TestServer;
let work: string;
let original: string;
let expected: { sha256: string; etags: Record<ClientName, string> };
let python: string;
const speeds: string[] = [];

beforeAll(async () => {
  ensureDebianPackages({
    '/usr/bin/aws': 'awscli',
    '/usr/bin/rclone': 'rclone',
    '/usr/bin/s3cmd': 's3cmd',
  });
  python = pythonWithBoto3();
  // fsync off only skips flushing to the platters; every byte still goes through the
  // engine's blob and metadata paths.
  t = await startTestServer();
  work = mkdtempSync(path.join(tmpdir(), 'stowage-big-'));
  original = path.join(work, 'original.bin');
  expected = await writeBigFile(original);
  await t.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 600_000);

afterAll(async () => {
  if (speeds.length > 0) console.log(`1 GiB multipart transfers:\n  ${speeds.join('\n  ')}`);
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const mibPerSecond = (ms: number): string => (SIZE / MIB / (ms / 1000)).toFixed(0);

/** One client's round trip: upload, ETag check, download, hash check, delete, cleanup. */
async function roundTrip(
  name: ClientName,
  ops: {
    upload: (key: string) => Promise<void>;
    download: (key: string, to: string) => Promise<void>;
    remove: (key: string) => Promise<void>;
  },
): Promise<void> {
  const key = `${name}/original.bin`;
  const back = path.join(work, `${name}-download.bin`);
  try {
    const t0 = Date.now();
    await ops.upload(key);
    const t1 = Date.now();
    const head = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(SIZE);
    expect(head.ETag).toBe(expected.etags[name]);
    expect(head.ETag).toMatch(new RegExp(`-${Math.ceil(SIZE / (PART_MIB[name] * MIB))}"$`));
    const t2 = Date.now();
    await ops.download(key, back);
    const t3 = Date.now();
    expect(await sha256File(back)).toBe(expected.sha256);
    speeds.push(
      `${name}: upload ${mibPerSecond(t1 - t0)} MiB/s, download ${mibPerSecond(t3 - t2)} MiB/s`,
    );
    await ops.remove(key);
    await expect(
      t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  } finally {
    rmSync(back, { force: true });
  }
}

function mustSucceed(what: string, r: RunResult): void {
  expect(r.code, `${what}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`).toBe(0);
}

describe('1 GiB multipart upload and download, bytes compared', () => {
  it(
    'aws-cli: s3 cp up (8 MiB parts, its default) and down, s3 rm',
    async () => {
      const env = {
        HOME: work,
        AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: path.join(work, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
        AWS_PAGER: '',
      };
      const aws = async (...args: string[]): Promise<void> =>
        mustSucceed(
          `aws ${args.join(' ')}`,
          await runPeer(
            '/usr/bin/aws',
            ['--endpoint-url', t.url, '--only-show-errors', ...args],
            env,
            {
              cwd: work,
              timeoutMs: PEER_TIMEOUT_MS,
            },
          ),
        );
      await roundTrip('awscli', {
        upload: (key) => aws('s3', 'cp', original, `s3://${BUCKET}/${key}`),
        download: (key, to) => aws('s3', 'cp', `s3://${BUCKET}/${key}`, to),
        remove: (key) => aws('s3', 'rm', `s3://${BUCKET}/${key}`),
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'rclone: copyto up (16 MiB chunks) and down, deletefile',
    async () => {
      const env = rcloneEnv(t.url, work);
      const rclone = async (...args: string[]): Promise<void> =>
        mustSucceed(
          `rclone ${args.join(' ')}`,
          await runPeer('/usr/bin/rclone', args, env, { cwd: work, timeoutMs: PEER_TIMEOUT_MS }),
        );
      const chunk = `${PART_MIB.rclone}M`;
      await roundTrip('rclone', {
        upload: (key) =>
          rclone(
            'copyto',
            '--s3-upload-cutoff',
            chunk,
            '--s3-chunk-size',
            chunk,
            original,
            `stw:${BUCKET}/${key}`,
          ),
        download: (key, to) => rclone('copyto', `stw:${BUCKET}/${key}`, to),
        remove: (key) => rclone('deletefile', `stw:${BUCKET}/${key}`),
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    's3cmd: put (25 MiB parts) and get, del',
    async () => {
      const hostPort = new URL(t.url).host;
      const config = path.join(work, 's3cfg');
      writeFileSync(
        config,
        [
          '[default]',
          `access_key = ${TEST_KEY.accessKeyId}`,
          `secret_key = ${TEST_KEY.secretAccessKey}`,
          `host_base = ${hostPort}`,
          `host_bucket = ${hostPort}`,
          'use_https = False',
          'signature_v2 = False',
          'bucket_location = us-east-1',
          '',
        ].join('\n'),
      );
      const s3cmd = async (...args: string[]): Promise<void> =>
        mustSucceed(
          `s3cmd ${args.join(' ')}`,
          await runPeer(
            '/usr/bin/s3cmd',
            ['--config', config, '--no-progress', ...args],
            { HOME: work },
            { cwd: work, timeoutMs: PEER_TIMEOUT_MS },
          ),
        );
      await roundTrip('s3cmd', {
        upload: (key) =>
          s3cmd(
            'put',
            `--multipart-chunk-size-mb=${PART_MIB.s3cmd}`,
            original,
            `s3://${BUCKET}/${key}`,
          ),
        download: (key, to) => s3cmd('get', `s3://${BUCKET}/${key}`, to),
        remove: (key) => s3cmd('del', `s3://${BUCKET}/${key}`),
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'boto3: upload_file and download_file with a TransferConfig (10 MiB parts), delete_object',
    async () => {
      const script = path.join(work, 'big.py');
      writeFileSync(script, BOTO3_SCRIPT);
      const boto3 = async (action: string, key: string, local: string): Promise<void> =>
        mustSucceed(
          `boto3 ${action} ${key}`,
          await runPeer(
            python,
            [
              script,
              t.url,
              TEST_KEY.accessKeyId,
              TEST_KEY.secretAccessKey,
              action,
              BUCKET,
              key,
              local,
              String(PART_MIB.boto3),
            ],
            boto3Env(python, work),
            { cwd: work, timeoutMs: PEER_TIMEOUT_MS },
          ),
        );
      await roundTrip('boto3', {
        upload: (key) => boto3('upload', key, original),
        download: (key, to) => boto3('download', key, to),
        remove: (key) => boto3('delete', key, '-'),
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '@aws-sdk/client-s3: CreateMultipartUpload / UploadPart (12 MiB, streamed) / Complete, GetObject streamed to a file',
    async () => {
      await roundTrip('sdk', {
        upload: (key) => sdkMultipartUpload(t.client, key, original, PART_MIB.sdk * MIB),
        download: async (key, to) => {
          const got = await t.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          await pipeline(got.Body as Readable, createWriteStream(to));
        },
        remove: async (key) => {
          await t.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
        },
      });
    },
    TEST_TIMEOUT_MS,
  );

  // An upload created without ChecksumAlgorithm still takes parts whose CRC32 arrives as a
  // trailer (the SDK's default for streamed bodies), as S3 does.
  it('@aws-sdk/client-s3: parts with a trailing CRC32 in an upload created without an algorithm', async () => {
    const key = 'sdk/undeclared.bin';
    await sdkMultipartUpload(t.client, key, original, 5 * MIB, {
      size: 15 * MIB,
      declare: false,
    });
    const head = await t.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ETag).toMatch(/-3"$/);
    await t.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });
});
