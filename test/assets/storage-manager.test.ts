/**
 * S3StorageManager (seed 003's library API) against real servers: the core cases against
 * both the embedded `stowage serve` and Ceph RGW (describeS3Targets), then what only the
 * embedded server can show here (storage classes, SSE) and the bad inputs.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3StorageManager, type BatchProgress } from '../../src/index.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { patternBytes } from '../helpers/engine.js';
import { describeS3Targets, type S3Target } from '../helpers/s3-targets.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const { dir, cleanup } = tempDir('stowage-assets-');
const home = tempDir('stowage-assets-home-');
afterAll(() => {
  cleanup();
  home.cleanup();
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function makeFile(name: string, size: number, seed = 1): { file: string; bytes: Buffer } {
  const bytes = patternBytes(size, seed);
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

/** Seed 003's `.env`, pointed at a target through the standard AWS variables. */
function seedEnv(
  t: Pick<S3Target, 'endpoint' | 'credentials' | 'quirks'>,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: t.endpoint,
    AWS_ACCESS_KEY_ID: t.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey,
    AWS_REQUEST_CHECKSUM_CALCULATION: t.quirks.checksumPolicy,
    S3_REGION: 'us-east-1',
    ...extra,
  };
}

function expectMonotonic(events: BatchProgress[], field: keyof BatchProgress): void {
  for (let i = 1; i < events.length; i++) {
    expect(events[i]![field], `${field} at event ${i}`).toBeGreaterThanOrEqual(
      events[i - 1]![field] as number,
    );
  }
}

describeS3Targets('S3StorageManager', (getTarget) => {
  let s3: S3StorageManager;
  let bucket: string;
  beforeAll(async () => {
    const t = getTarget();
    bucket = t.uniqueBucket('mgr');
    await t.newClient().send(new CreateBucketCommand({ Bucket: bucket }));
    s3 = await S3StorageManager.fromEnv({
      env: seedEnv(t, { S3_BUCKET_NAME: bucket, S3_MAX_PARALLEL_UPLOADS: '4' }),
      homeDir: home.dir,
    });
  });
  afterAll(() => s3?.close());

  it('fromEnv finds the store in stowage.yaml as the CLI does (cwd, STOWAGE_CONFIG), and names a bad file', async () => {
    const t = getTarget();
    const project = tempDir('stowage-assets-project-');
    try {
      const keys = {
        AWS_ACCESS_KEY_ID: t.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey,
        S3_BUCKET_NAME: bucket,
      };
      const yaml = [
        'defaultStore: studio',
        'stores:',
        '  studio:',
        `    endpoint: ${t.endpoint}`,
        `    checksumPolicy: ${t.quirks.checksumPolicy}`,
        '',
      ].join('\n');
      writeFileSync(path.join(project.dir, 'stowage.yaml'), yaml);
      const { file, bytes } = makeFile(`${t.kind}-from-yaml.bin`, 3000, 4);
      const m = await S3StorageManager.fromEnv({ env: keys, homeDir: home.dir, cwd: project.dir });
      try {
        await m.uploadFile(file, { key: 'from-yaml.bin' });
      } finally {
        m.close();
      }
      const got = await t
        .newClient()
        .send(new GetObjectCommand({ Bucket: bucket, Key: 'from-yaml.bin' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
      // Named by STOWAGE_CONFIG from elsewhere.
      const named = await S3StorageManager.fromEnv({
        env: { ...keys, STOWAGE_CONFIG: path.join(project.dir, 'stowage.yaml') },
        homeDir: home.dir,
        cwd: dir,
      });
      const keysListed: string[] = [];
      for await (const o of named.list({ prefix: 'from-yaml' })) keysListed.push(o.key);
      expect(keysListed).toEqual(['from-yaml.bin']);
      named.close();
      writeFileSync(
        path.join(project.dir, 'stowage.yaml'),
        'stores:\n  studio:\n    endpoint: 9000\n',
      );
      await expectError(
        S3StorageManager.fromEnv({ env: keys, homeDir: home.dir, cwd: project.dir }),
        'E_CONFIG_INVALID',
        /stowage\.yaml.*stores\.studio\.endpoint/,
      );
    } finally {
      project.cleanup();
    }
  });

  it('uploads one file with metadata and tags', async () => {
    const t = getTarget();
    const { file, bytes } = makeFile(`${t.kind}-image.png`, 5000);
    const r = await s3.uploadFile(file, {
      key: 'products/transparent/dish_soap/image.png',
      metadata: { type: 'product', category: 'dish_soap' },
      tags: { campaign: 'spring_2025' },
    });
    expect(r).toMatchObject({
      key: 'products/transparent/dish_soap/image.png',
      sizeBytes: 5000,
      etag: md5(bytes),
      sha256: sha256(bytes),
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    const client = t.newClient();
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: r.key }));
    expect(head.ContentType).toBe('image/png');
    expect(head.Metadata).toMatchObject({ type: 'product', category: 'dish_soap' });
    const tagging = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: r.key }));
    expect(tagging.TagSet).toEqual([{ Key: 'campaign', Value: 'spring_2025' }]);
  });

  it('batch-uploads 50 files with one missing: 49 uploaded, one reported, progress monotonic', async () => {
    const t = getTarget();
    const items = Array.from({ length: 50 }, (_, i) => {
      const name = `${t.kind}-batch-${i}.bin`;
      const file =
        i === 17 ? path.join(dir, 'no-such-file.bin') : makeFile(name, 1000 + i * 37, i).file;
      return { path: file, key: `batch/${i}.bin`, metadata: { n: String(i) } };
    });
    const expectedBytes = items.reduce((sum, _, i) => sum + (i === 17 ? 0 : 1000 + i * 37), 0);
    const events: BatchProgress[] = [];
    const { results, progress } = await s3.batchUpload(items, {
      onProgress: (p) => events.push(p),
      progressIntervalMs: 0,
    });
    expect(results).toHaveLength(50);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toEqual([
      {
        ok: false,
        path: path.join(dir, 'no-such-file.bin'),
        key: 'batch/17.bin',
        error: { code: 'E_LOCAL_NOT_FOUND', message: expect.stringMatching(/no-such-file\.bin/) },
      },
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(49);
    expect(results[3]).toMatchObject({ ok: true, key: 'batch/3.bin', sizeBytes: 1000 + 3 * 37 });
    expect(progress).toMatchObject({
      uploaded: 49,
      failed: 1,
      totalFiles: 50,
      bytesUploaded: expectedBytes,
      bytesInProgress: 0,
      totalBytes: expectedBytes,
      percentComplete: 100,
    });
    expect(progress.uploadSpeedMbps).toBeCloseTo(progress.bytesPerSecond / 1024 / 1024, 6);
    // The callback: a first event at zero, monotonic counts, and the final totals last.
    expect(events.length).toBeGreaterThan(2);
    expect(events[0]).toMatchObject({ uploaded: 0, failed: 0, bytesUploaded: 0, totalFiles: 50 });
    for (const f of ['uploaded', 'failed', 'bytesUploaded', 'elapsedMs'] as const) {
      expectMonotonic(events, f);
    }
    expect(events.at(-1)).toEqual(progress);
    const listed = [];
    for await (const o of s3.list({ prefix: 'batch/' })) listed.push(o.key);
    expect(listed).toHaveLength(49);
    expect(listed).not.toContain('batch/17.bin');
  });

  it('lists recursively and one level, with maxKeys', async () => {
    const t = getTarget();
    const { file } = makeFile(`${t.kind}-l.txt`, 10);
    for (const key of ['lst/a.txt', 'lst/b.txt', 'lst/sub/c.txt']) {
      await s3.uploadFile(file, { key, storageClass: 'STANDARD' });
    }
    const all = [];
    for await (const o of s3.list({ prefix: 'lst/' })) all.push(o);
    expect(all.map((o) => o.key)).toEqual(['lst/a.txt', 'lst/b.txt', 'lst/sub/c.txt']);
    expect(all[0]).toMatchObject({ sizeBytes: 10, storageClass: 'STANDARD' });
    expect(all[0]!.lastModified).toBeInstanceOf(Date);
    expect(all[0]!.etag).toMatch(/^[0-9a-f]{32}$/);
    const level = [];
    for await (const o of s3.list({ prefix: 'lst/', recursive: false })) level.push(o.key);
    expect(level).toEqual(['lst/a.txt', 'lst/b.txt']);
    const firstTwo = [];
    for await (const o of s3.list({ prefix: 'lst/', maxKeys: 2 })) firstTwo.push(o.key);
    expect(firstTwo).toEqual(['lst/a.txt', 'lst/b.txt']);
  });

  it('downloads the same bytes, and reports a missing key', async () => {
    const t = getTarget();
    const { file, bytes } = makeFile(`${t.kind}-dl.bin`, 300_000, 9);
    await s3.uploadFile(file, { key: 'dl/file.bin' });
    const out = path.join(dir, `${t.kind}-out`, 'file.bin');
    const r = await s3.download('dl/file.bin', out);
    expect(r).toMatchObject({ key: 'dl/file.bin', sizeBytes: 300_000, sha256: sha256(bytes) });
    expect(r.verifiedBy).toBe('stowage-sha256');
    expect(readFileSync(out).equals(bytes)).toBe(true);
    await expectError(s3.download('dl/missing.bin', out + '.2'), 'E_NO_SUCH_KEY');
    // A wrong secret is named as such by every call, the download's HEAD included (a HEAD
    // answer has no body: one GET of a byte brings the store's own code).
    const wrong = await S3StorageManager.fromEnv({
      env: { ...seedEnv(t, { S3_BUCKET_NAME: bucket }), AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      homeDir: home.dir,
    });
    try {
      await expectError(wrong.download('dl/file.bin', out + '.3'), 'E_SIGNATURE_DOES_NOT_MATCH');
      await expectError(wrong.uploadFile(file, { key: 'dl/x.bin' }), 'E_SIGNATURE_DOES_NOT_MATCH');
    } finally {
      wrong.close();
    }
  });

  it('encryption: true stores SSE-S3 where the store has it, and a refusal names the encryption (RGW)', async () => {
    const t = getTarget();
    const m = await S3StorageManager.fromEnv({
      env: seedEnv(t, { S3_BUCKET_NAME: bucket, S3_ENABLE_ENCRYPTION: 'true' }),
      homeDir: home.dir,
    });
    try {
      const { file } = makeFile(`${t.kind}-sse.bin`, 1500, 3);
      if (t.kind === 'stowage') {
        await m.uploadFile(file, { key: 'sse/a.bin' });
        const head = await t
          .newClient()
          .send(new HeadObjectCommand({ Bucket: bucket, Key: 'sse/a.bin' }));
        expect(head.ServerSideEncryption).toBe('AES256');
      } else {
        // RGW without a key server refuses SSE-S3 with a bare InvalidRequest.
        await expectError(
          m.uploadFile(file, { key: 'sse/a.bin' }),
          'E_INVALID_REQUEST',
          /the store may not accept server-side encryption AES256 \(the encryption option, or S3_ENABLE_ENCRYPTION\)/,
        );
      }
    } finally {
      m.close();
    }
  });

  it('presigns a GET that fetch() can use, and a PUT', async () => {
    const t = getTarget();
    const { file, bytes } = makeFile(`${t.kind}-p.bin`, 2048, 5);
    await s3.uploadFile(file, { key: 'pre/p.bin' });
    const url = await s3.presignedUrl('pre/p.bin', { expiresInSeconds: 600 });
    expect(url).toContain('X-Amz-Expires=600');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    const put = await s3.presignedUrl('pre/put.txt', { method: 'PUT' });
    expect((await fetch(put, { method: 'PUT', body: 'via presigned PUT' })).status).toBe(200);
    const back = await t
      .newClient()
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'pre/put.txt' }));
    expect(await back.Body?.transformToString()).toBe('via presigned PUT');
  });

  it('sizes the bucket by class; a class the store lacks is that item failing', async () => {
    const t = getTarget();
    const sized = t.uniqueBucket('size');
    const client = t.newClient();
    await client.send(new CreateBucketCommand({ Bucket: sized }));
    // A manager over a client of one's own (the target's quirks), not a resolved store.
    const m = new S3StorageManager({ client, bucket: sized, maxParallelUploads: 3 });
    const a = makeFile(`${t.kind}-s1.bin`, 1000).file;
    const b = makeFile(`${t.kind}-s2.bin`, 3000).file;
    const { results } = await m.batchUpload([
      { path: a, key: 'std/1.bin' },
      { path: b, key: 'std/2.bin' },
      { path: b, key: 'ia/3.bin', storageClass: 'STANDARD_IA' },
    ]);
    const size = await m.bucketSize({ byClass: true });
    if (t.kind === 'rgw') {
      // RGW has only the STANDARD placement class unless an operator adds more: the upload
      // is refused for that item alone.
      expect(results.map((r) => r.ok)).toEqual([true, true, false]);
      expect(results[2]).toMatchObject({
        error: {
          code: 'E_INVALID_STORAGE_CLASS',
          message: expect.stringMatching(/does not accept storage class STANDARD_IA$/),
        },
      });
      expect(size).toEqual({
        bucket: sized,
        prefix: '',
        count: 2,
        bytes: 4000,
        byClass: { STANDARD: { count: 2, bytes: 4000 } },
      });
      return;
    }
    expect(results.every((r) => r.ok)).toBe(true);
    expect(size).toEqual({
      bucket: sized,
      prefix: '',
      count: 3,
      bytes: 7000,
      byClass: { STANDARD: { count: 2, bytes: 4000 }, STANDARD_IA: { count: 1, bytes: 3000 } },
    });
    expect(await m.bucketSize({ prefix: 'std/' })).toEqual({
      bucket: sized,
      prefix: 'std/',
      count: 2,
      bytes: 4000,
    });
    m.close();
  });
});

describe('S3StorageManager on stowage serve: seed-003 settings and bad input', () => {
  let srv: TestServer;
  let target: Pick<S3Target, 'endpoint' | 'credentials' | 'quirks'>;
  beforeAll(async () => {
    srv = await startTestServer();
    target = {
      endpoint: srv.url,
      credentials: TEST_KEY,
      quirks: { forcePathStyle: true, checksumPolicy: 'WHEN_SUPPORTED' },
    };
  });
  afterAll(() => srv?.close());

  it('fromEnv reads S3_BUCKET_NAME, S3_STORAGE_CLASS, S3_MAX_PARALLEL_UPLOADS, S3_ENABLE_ENCRYPTION', async () => {
    await srv.client.send(new CreateBucketCommand({ Bucket: 'creative-assets' }));
    const m = await S3StorageManager.fromEnv({
      env: seedEnv(target, {
        S3_BUCKET_NAME: 'creative-assets',
        S3_STORAGE_CLASS: 'intelligent_tiering',
        S3_MAX_PARALLEL_UPLOADS: '7',
        S3_ENABLE_ENCRYPTION: 'true',
      }),
      homeDir: home.dir,
    });
    expect(m.config).toEqual({
      bucket: 'creative-assets',
      storageClass: 'INTELLIGENT_TIERING',
      maxParallelUploads: 7,
      sse: 'AES256',
    });
    const { file } = makeFile('enc.png', 777);
    const r = await m.uploadFile(file, { key: 'products/enc.png' });
    const head = await srv.client.send(
      new HeadObjectCommand({ Bucket: 'creative-assets', Key: r.key }),
    );
    expect(head).toMatchObject({
      StorageClass: 'INTELLIGENT_TIERING',
      ServerSideEncryption: 'AES256',
      ContentLength: 777,
    });
    // An option wins over the variable; the key defaults to the file's name.
    const r2 = await m.uploadFile(file, { storageClass: 'glacier' });
    expect(r2.key).toBe('enc.png');
    const head2 = await srv.client.send(
      new HeadObjectCommand({ Bucket: 'creative-assets', Key: 'enc.png' }),
    );
    expect(head2.StorageClass).toBe('GLACIER');
    const size = await m.bucketSize({ byClass: true });
    expect(size.byClass).toEqual({
      GLACIER: { count: 1, bytes: 777 },
      INTELLIGENT_TIERING: { count: 1, bytes: 777 },
    });
    m.close();
  });

  it('names S3_BUCKET_NAME when no bucket is given anywhere', async () => {
    await expectError(
      S3StorageManager.fromEnv({ env: seedEnv(target, {}), homeDir: home.dir }),
      'E_CONFIG_INVALID',
      /S3_BUCKET_NAME/,
    );
    await expectError(
      () => new S3StorageManager({ client: srv.client }),
      'E_CONFIG_INVALID',
      /S3_BUCKET_NAME/,
    );
  });

  it('names a bad S3_MAX_PARALLEL_UPLOADS, S3_STORAGE_CLASS or option', async () => {
    for (const value of ['0', 'ten', '2.5']) {
      await expectError(
        S3StorageManager.fromEnv({
          env: seedEnv(target, { S3_BUCKET_NAME: 'b-1', S3_MAX_PARALLEL_UPLOADS: value }),
          homeDir: home.dir,
        }),
        'E_CONFIG_INVALID',
        new RegExp(
          `S3_MAX_PARALLEL_UPLOADS: expected a whole number from 1 to 1024, got "${value}"`,
        ),
      );
    }
    await expectError(
      S3StorageManager.fromEnv({
        env: seedEnv(target, { S3_BUCKET_NAME: 'b-1', S3_STORAGE_CLASS: 'FAST' }),
        homeDir: home.dir,
      }),
      'E_CONFIG_INVALID',
      /S3_STORAGE_CLASS/,
    );
    // Names in the SDK's enum that S3 objects cannot take are refused here too, as the
    // variable, not later as an option the caller never passed.
    await expectError(
      S3StorageManager.fromEnv({
        env: seedEnv(target, { S3_BUCKET_NAME: 'b-1', S3_STORAGE_CLASS: 'FSX_ONTAP' }),
        homeDir: home.dir,
      }),
      'E_CONFIG_INVALID',
      /S3_STORAGE_CLASS: .*"FSX_ONTAP"/,
    );
    const client = srv.client;
    await expectError(
      () => new S3StorageManager({ client, bucket: 'b-1', maxParallelUploads: 0 }),
      'E_INVALID_ARGUMENT',
      /maxParallelUploads must be a whole number from 1 to 1024, got 0/,
    );
    await expectError(
      () => new S3StorageManager({ client, bucket: 'Bad_Bucket' }),
      'E_INVALID_ARGUMENT',
      /bucket must be a valid bucket name/,
    );
    await expectError(
      () => new S3StorageManager({ client, bucket: 'b-1', storageClass: 'FAST' }),
      'E_INVALID_ARGUMENT',
      /storageClass/,
    );
    for (const partSizeBytes of [0, -5, 'abc', 6 * 1024 ** 3]) {
      await expectError(
        () =>
          new S3StorageManager({ client, bucket: 'b-1', partSizeBytes: partSizeBytes as number }),
        'E_INVALID_ARGUMENT',
        /partSizeBytes must be a whole number of bytes/,
      );
    }
    await expectError(() => new S3StorageManager({ bucket: 'b-1' }), 'E_INVALID_ARGUMENT', /store/);
    const m = new S3StorageManager({ client, bucket: 'b-1' });
    await expectError(
      m.presignedUrl('k', { expiresInSeconds: 0 }),
      'E_INVALID_ARGUMENT',
      /expiresInSeconds/,
    );
    await expectError(
      m.uploadFile(path.join(dir, 'absent.png')),
      'E_LOCAL_NOT_FOUND',
      /absent\.png/,
    );
    await expectError(m.download('', path.join(dir, 'x')), 'E_INVALID_KEY');
    const bad = await m.batchUpload([{ path: '', key: 'k' }]);
    expect(bad.results[0]).toMatchObject({
      ok: false,
      error: { code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/item 0: path/) },
    });
  });

  it('reports a missing bucket per item and for listings', async () => {
    const m = new S3StorageManager({ client: srv.client, bucket: 'no-such-bucket-here' });
    const { file } = makeFile('nb.txt', 5);
    const { results, progress } = await m.batchUpload([{ path: file, key: 'x' }]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'E_NO_SUCH_BUCKET' } });
    expect(progress).toMatchObject({ uploaded: 0, failed: 1, totalBytes: 5, bytesUploaded: 0 });
    // Finished, though nothing went up: every file has settled.
    expect(progress.percentComplete).toBe(100);
    await expectError(async () => {
      for await (const _ of m.list()) void _;
    }, 'E_NO_SUCH_BUCKET');
    await expectError(m.bucketSize(), 'E_NO_SUCH_BUCKET');
  });
});
