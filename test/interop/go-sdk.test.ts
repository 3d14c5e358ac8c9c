/**
 * The AWS SDK for Go v1 (Debian's golang-github-aws-aws-sdk-go-dev, built with Debian's Go)
 * against `stowage serve`: test/interop/go/sdkv1.go is a studio tool's calls — PutObject of
 * a key with a space and non-ASCII (metadata, content type), a Range GET, HeadObject, a
 * missing key's error code, ListObjectsV2Pages two keys a page, CopyObject with an encoded
 * copy source, DeleteObjects, a presigned GET fetched with net/http, and s3manager's
 * Uploader (5 MiB parts, 3 at once) and Downloader (4 MiB ranges, 3 at once) of 23 MiB.
 * The program prints what the SDK returned; this test judges it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages, runPeer } from '../helpers/peers.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const GO = '/usr/bin/go';
const SDK = '/usr/share/gocode/src/github.com/aws/aws-sdk-go/aws/config.go';
const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'go', 'sdkv1.go');
const BUCKET = 'studio-tools';
const MIB = 1024 * 1024;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

type Step = Record<string, unknown> & { step: string; error?: string; code?: string };

let t: TestServer;
let work: string;
const big = randomBytes(23 * MIB);
const steps = new Map<string, Step>();

beforeAll(async () => {
  ensureDebianPackages({ [GO]: 'golang-go', [SDK]: 'golang-github-aws-aws-sdk-go-dev' });
  work = mkdtempSync(path.join(tmpdir(), 'stowage-go-'));
  mkdirSync(path.join(work, 'home'));
  const goEnv = {
    HOME: path.join(work, 'home'),
    GOPATH: '/usr/share/gocode',
    GO111MODULE: 'off',
    GOCACHE: path.join(work, 'gocache'),
  };
  const binary = path.join(work, 'sdkv1');
  const built = await runPeer(GO, ['build', '-o', binary, SOURCE], goEnv, {
    cwd: work,
    timeoutMs: 240_000,
  });
  if (built.code !== 0) throw new Error(`go build failed:\n${built.stdout}\n${built.stderr}`);
  writeFileSync(path.join(work, 'big.bin'), big);
  t = await startTestServer();
  const r = await runPeer(
    binary,
    [],
    {
      HOME: path.join(work, 'home'),
      S3_ENDPOINT: t.url,
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
      AWS_CONFIG_FILE: path.join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      BUCKET,
      BIG_FILE: path.join(work, 'big.bin'),
    },
    { cwd: work, timeoutMs: 120_000 },
  );
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) {
      const s = JSON.parse(line.slice('RESULT '.length)) as Step;
      steps.set(s.step, s);
    }
  }
  if (!steps.has('managerDownload')) {
    throw new Error(`the Go program stopped (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}, 600_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function step(name: string): Step {
  const s = steps.get(name);
  expect(s, name).toBeDefined();
  return s!;
}

describe('AWS SDK for Go v1 against stowage serve', () => {
  it('creates the bucket, puts an object with metadata and reads a range and its headers', () => {
    expect(step('createBucket').error).toBeUndefined();
    const put = step('put');
    expect(put.error).toBeUndefined();
    expect(put.etag).toBe(`"${String(put.md5)}"`);
    expect(step('getRange')).toMatchObject({ body: 'sprite', contentRange: 'bytes 5-10/28' });
    expect(step('head')).toMatchObject({ length: 28, contentType: 'image/png', artist: 'Zoë' });
  });

  it('a missing key is the error code NoSuchKey', () => {
    expect(step('getMissing').code).toBe('NoSuchKey');
  });

  it('pages through a listing, copies, deletes in a batch and follows a presigned URL', () => {
    expect(step('list')).toMatchObject({
      pages: 3,
      keys: [0, 1, 2, 3, 4].map((i) => `levels/level-${i}.json`),
    });
    expect(step('copy')).toMatchObject({ md5: md5('hero sprite bytes 0123456789') });
    expect(step('deleteObjects')).toMatchObject({ deleted: 2, errors: 0 });
    expect(step('presignedGet')).toMatchObject({
      status: 200,
      md5: md5('hero sprite bytes 0123456789'),
    });
  });

  it('s3manager uploads in parts and downloads in ranges, bytes identical', () => {
    const upload = step('managerUpload');
    expect(upload.error).toBeUndefined();
    // A multipart ETag: the MD5 of the parts' MD5s, dash, the number of parts (5 MiB each).
    expect(upload.etag).toMatch(/^"[0-9a-f]{32}-5"$/);
    expect(upload.uploadId).toEqual(expect.any(String));
    expect(step('managerDownload')).toMatchObject({ bytes: big.length, md5: md5(big) });
  });
});
