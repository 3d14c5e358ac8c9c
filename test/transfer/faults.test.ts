/**
 * Failures a real server cannot be made to produce, through a fault proxy in front of the
 * real embedded server: a SlowDown storm (about 30% of requests answered 503), damaged
 * GET bodies and a wrong ETag. Transfers must finish with every byte right, or fail with
 * E_CHECKSUM_MISMATCH and leave nothing at the target.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/client/index.js';
import { downloadFile, Pacer, uploadFile } from '../../src/transfer/index.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import { prng } from '../helpers/random.js';
import { mountTmpfs, type SmallFs } from '../helpers/small-fs.js';
import { TEST_KEY, type TestServer } from '../helpers/server.js';
import {
  clientConfig,
  clientFor,
  countCommands,
  makeFile,
  PART,
  startFaultProxy,
  startSmallPartServer,
  type FaultAction,
  type FaultProxy,
} from './helpers.js';

let srv: TestServer;
let direct: S3Client;
const { dir, cleanup } = tempDir('stowage-faults-');
const BUCKET = 'faults';
const proxies: FaultProxy[] = [];
const clients: S3Client[] = [];

beforeAll(async () => {
  srv = await startSmallPartServer();
  direct = clientFor(srv.url);
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const p of proxies) await p.close();
  direct.destroy();
  await srv.close();
  cleanup();
});

async function proxied(decide: (method: string, url: string) => FaultAction['kind']) {
  const proxy = await startFaultProxy(
    srv.url,
    (req) => ({ kind: decide(req.method ?? '', req.url ?? '') }) as FaultAction,
  );
  proxies.push(proxy);
  const client = clientFor(proxy.url);
  clients.push(client);
  return { proxy, client };
}

/** A pacer with short pauses, so a storm test takes seconds, not minutes. */
const quickPacer = () =>
  new Pacer({
    minBackoffMs: 20,
    maxBackoffMs: 400,
    minRatePerSecond: 20,
    recoveryStepPerSecond: 5,
    random: prng(1),
  });

describe('a 503 SlowDown storm', () => {
  it('still uploads and downloads every byte, and the shared pacer backed off', async () => {
    const rand = prng(42);
    const { proxy, client } = await proxied(() => (rand() < 0.3 ? 'slowdown' : 'forward'));
    const pacer = quickPacer();
    const files = [
      makeFile(dir, 'storm-small.bin', 3000, 1),
      makeFile(dir, 'storm-big.bin', Math.floor(6.5 * PART), 2),
    ];
    for (const [i, f] of files.entries()) {
      await uploadFile({
        client,
        pacer,
        bucket: BUCKET,
        key: `storm/${i}`,
        path: f.file,
        partSizeBytes: PART,
        concurrency: 4,
      });
      const out = path.join(dir, 'storm-out', String(i));
      await downloadFile({
        client,
        pacer,
        bucket: BUCKET,
        key: `storm/${i}`,
        path: out,
        partSizeBytes: PART,
        concurrency: 4,
      });
      expect(readFileSync(out).equals(f.bytes)).toBe(true);
    }
    const stats = pacer.stats();
    expect(proxy.counts.slowdown).toBeGreaterThan(3);
    expect(stats.throttles).toBe(proxy.counts.slowdown);
    expect(stats.maxBackoffMs).toBeGreaterThan(0);
    expect(stats.waitedMs).toBeGreaterThan(0);
  });

  it('gives up with a retryable E_SLOW_DOWN when every attempt is throttled', async () => {
    const { client } = await proxied(() => 'slowdown');
    const { file } = makeFile(dir, 'always-503.bin', 100);
    const err = await expectError(
      uploadFile({
        client,
        pacer: quickPacer(),
        bucket: BUCKET,
        key: 'always',
        path: file,
        attempts: 3,
      }),
      'E_SLOW_DOWN',
      /upload of .*always-503\.bin to s3:\/\/faults\/always failed: the store is throttling \(SlowDown\)/,
    );
    expect(err.retryable).toBe(true);
  });
});

describe('integrity', () => {
  it('a damaged GET body fails with E_CHECKSUM_MISMATCH and leaves nothing at the target', async () => {
    const { file } = makeFile(dir, 'flip.bin', 3 * PART + 9, 3);
    await uploadFile({
      client: direct,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'flip',
      path: file,
      partSizeBytes: PART,
    });
    const { client } = await proxied((method) => (method === 'GET' ? 'flip-body-byte' : 'forward'));
    const outDir = path.join(dir, 'flip-out');
    await expectError(
      downloadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'flip',
        path: path.join(outDir, 'flip.bin'),
        partSizeBytes: PART,
      }),
      'E_CHECKSUM_MISMATCH',
      /SHA-256 .* but the object's stowage-sha256 is/,
    );
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('a damaged single-GET body of a foreign object is caught by its MD5 ETag', async () => {
    const { file } = makeFile(dir, 'flip-small.bin', 2000, 4);
    // Written by another tool: no stowage-sha256, so the MD5 ETag is what is checked.
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'foreign', Body: readFileSync(file) }),
    );
    const { proxy } = await proxied((method) => (method === 'GET' ? 'flip-body-byte' : 'forward'));
    // With the SDK's own response checksums off, Stowage's MD5 check is the one that fires.
    const client = new S3Client({
      ...clientConfig(proxy.url),
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.push(client);
    const target = path.join(dir, 'flip-small-out', 'foreign.bin');
    await expectError(
      downloadFile({ client, pacer: new Pacer(), bucket: BUCKET, key: 'foreign', path: target }),
      'E_CHECKSUM_MISMATCH',
      /have MD5 [0-9a-f]{32}, but the object's ETag is/,
    );
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.stowage-partial`)).toBe(false);
    // With them on (the default), the SDK's CRC check fails each attempt: same error code.
    const sdkChecked = clientFor(proxy.url);
    clients.push(sdkChecked);
    await expectError(
      downloadFile({
        client: sdkChecked,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'foreign',
        path: target,
        attempts: 2,
      }),
      'E_CHECKSUM_MISMATCH',
      /Checksum mismatch/,
    );
    expect(existsSync(target)).toBe(false);
    expect(existsSync(`${target}.stowage-partial`)).toBe(false);
  });

  it('a single-PUT ETag that is not the MD5 of the bytes sent is E_CHECKSUM_MISMATCH', async () => {
    const { client } = await proxied((method) => (method === 'PUT' ? 'wrong-etag' : 'forward'));
    const { file } = makeFile(dir, 'etag.bin', 500, 5);
    await expectError(
      uploadFile({ client, pacer: new Pacer(), bucket: BUCKET, key: 'etag', path: file }),
      'E_CHECKSUM_MISMATCH',
      /ETag "0{32}", but the bytes sent have [0-9a-f]{32}/,
    );
  });

  it('a wrong multipart ETag is E_CHECKSUM_MISMATCH', async () => {
    // Only CompleteMultipartUpload's answer is changed: every part's ETag is right.
    const { client } = await proxied((method, url) =>
      method === 'POST' && url.includes('uploadId=') ? 'wrong-etag' : 'forward',
    );
    const { file } = makeFile(dir, 'mpu-etag.bin', 2 * PART + 1, 6);
    await expectError(
      uploadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'mpu-etag',
        path: file,
        partSizeBytes: PART,
      }),
      'E_CHECKSUM_MISMATCH',
      /ETag "0{32}-3", but the bytes sent have [0-9a-f]{32}-3/,
    );
  });

  it('a wrong part ETag is E_CHECKSUM_MISMATCH', async () => {
    const { client } = await proxied((method, url) =>
      method === 'PUT' && url.includes('partNumber=2') ? 'wrong-etag' : 'forward',
    );
    const { file } = makeFile(dir, 'part-etag.bin', 2 * PART + 1, 7);
    await expectError(
      uploadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'part-etag',
        path: file,
        partSizeBytes: PART,
      }),
      'E_CHECKSUM_MISMATCH',
      /\(part 2\): the store answered ETag "0{32}"/,
    );
  });
});

describe('lost answers', () => {
  it('a CompleteMultipartUpload whose answer is lost still succeeds (NoSuchUpload, then HEAD)', async () => {
    let dropped = false;
    const { proxy, client } = await proxied((method, url) => {
      if (!dropped && method === 'POST' && url.includes('uploadId=')) {
        dropped = true;
        return 'drop-response';
      }
      return 'forward';
    });
    const { file, bytes } = makeFile(dir, 'lost-complete.bin', 3 * PART, 13);
    const r = await uploadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'lost',
      path: file,
      partSizeBytes: PART,
    });
    expect(proxy.counts['drop-response']).toBe(1);
    expect(r.uploadedParts).toBe(3);
    const out = path.join(dir, 'lost-out', 'lost.bin');
    await downloadFile({
      client: direct,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'lost',
      path: out,
    });
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });
});

/**
 * Transfer clients (`createS3Client(store, { bodiesCarryMd5: true })`) send small uploads
 * without the SDK once a bucket's route is known (src/client/fast-path/): the same faults
 * must meet the same retries, pacer and checks there.
 */
/** A transfer client (bodiesCarryMd5, so with the fast paths) through `url`, counting commands. */
function fastPathClient(url: string) {
  const client = createS3Client(
    {
      name: 'proxied',
      endpoint: url,
      region: 'us-east-1',
      credentials: { kind: 'static', ...TEST_KEY },
      forcePathStyle: true,
      checksumPolicy: 'WHEN_SUPPORTED',
      maxSockets: 8,
      partSizeBytes: PART,
      defaults: {},
      source: 'test',
    },
    { maxAttempts: 1, bodiesCarryMd5: true },
  );
  clients.push(client);
  return { client, commands: countCommands(client) };
}

describe('small uploads on the fast PutObject path', () => {
  let mode: FaultAction['kind'] | 'storm' = 'forward';
  const rand = prng(7);
  const fast = async () => {
    mode = 'forward';
    const proxy = await startFaultProxy(srv.url, (req) => {
      if (req.method !== 'PUT' || mode === 'forward') return { kind: 'forward' };
      if (mode === 'storm') return { kind: rand() < 0.3 ? 'slowdown' : 'forward' };
      const kind = mode;
      if (kind === 'drop-response') mode = 'forward';
      return { kind } as FaultAction;
    });
    proxies.push(proxy);
    const { client, commands } = fastPathClient(proxy.url);
    // The first PutObject to the bucket goes through the SDK and shows the route.
    const { file } = makeFile(dir, 'fast-learn.bin', 10, 50);
    await uploadFile({ client, pacer: new Pacer(), bucket: BUCKET, key: 'fast/learn', path: file });
    expect(commands.get('PutObjectCommand')).toBe(1);
    return { proxy, client, commands };
  };
  const readBack = async (key: string) => {
    const out = path.join(dir, 'fast-out', key);
    await downloadFile({ client: direct, pacer: new Pacer(), bucket: BUCKET, key, path: out });
    return readFileSync(out);
  };

  it('a SlowDown storm: every file arrives, and the pacer backed off once per 503', async () => {
    const { proxy, client, commands } = await fast();
    mode = 'storm';
    const pacer = quickPacer();
    const files = Array.from({ length: 30 }, (_, i) =>
      makeFile(dir, `fast-storm-${i}.bin`, 2000 + i, 60 + i),
    );
    await Promise.all(
      files.map((f, i) =>
        uploadFile({ client, pacer, bucket: BUCKET, key: `fast/storm/${i}`, path: f.file }),
      ),
    );
    mode = 'forward';
    for (const [i, f] of files.entries()) {
      expect((await readBack(`fast/storm/${i}`)).equals(f.bytes)).toBe(true);
    }
    expect(commands.get('PutObjectCommand')).toBe(1);
    expect(proxy.counts.slowdown).toBeGreaterThan(3);
    expect(pacer.stats().throttles).toBe(proxy.counts.slowdown);
  });

  it('gives up with a retryable E_SLOW_DOWN when every attempt is throttled', async () => {
    const { client } = await fast();
    mode = 'slowdown';
    const { file } = makeFile(dir, 'fast-503.bin', 100);
    const err = await expectError(
      uploadFile({
        client,
        pacer: quickPacer(),
        bucket: BUCKET,
        key: 'fast/always',
        path: file,
        attempts: 3,
      }),
      'E_SLOW_DOWN',
      /upload of .*fast-503\.bin to s3:\/\/faults\/fast\/always failed: the store is throttling \(SlowDown\)/,
    );
    expect(err.retryable).toBe(true);
  });

  it('a wrong ETag is E_CHECKSUM_MISMATCH; a response lost after the store kept the body is retried', async () => {
    const { proxy, client } = await fast();
    mode = 'wrong-etag';
    const { file } = makeFile(dir, 'fast-etag.bin', 500, 70);
    await expectError(
      uploadFile({ client, pacer: new Pacer(), bucket: BUCKET, key: 'fast/etag', path: file }),
      'E_CHECKSUM_MISMATCH',
      /ETag "0{32}", but the bytes sent have [0-9a-f]{32}/,
    );
    mode = 'drop-response';
    const lost = makeFile(dir, 'fast-lost.bin', 700, 71);
    await uploadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'fast/lost',
      path: lost.file,
    });
    expect(proxy.counts['drop-response']).toBe(1);
    expect((await readBack('fast/lost')).equals(lost.bytes)).toBe(true);
  });
});

describe('small downloads on the fast GetObject path', () => {
  let mode: 'forward' | 'storm' | 'flip-body-byte' = 'forward';
  const rand = prng(11);
  const fast = async () => {
    mode = 'forward';
    const proxy = await startFaultProxy(srv.url, (req) => {
      if (req.method !== 'GET' || mode === 'forward') return { kind: 'forward' };
      if (mode === 'storm') return { kind: rand() < 0.3 ? 'slowdown' : 'forward' };
      return { kind: mode };
    });
    proxies.push(proxy);
    const { client, commands } = fastPathClient(proxy.url);
    return { proxy, client, commands };
  };
  /** Uploads `n` small files directly; what a listing would say of each. */
  const seed = async (prefix: string, n: number) => {
    const objects = [];
    for (let i = 0; i < n; i++) {
      const f = makeFile(dir, `${prefix}-${i}.bin`, 1500 + i, 90 + i);
      const key = `fastget/${prefix}/${i}`;
      const r = await uploadFile({
        client: direct,
        pacer: new Pacer(),
        bucket: BUCKET,
        key,
        path: f.file,
      });
      objects.push({ key, bytes: f.bytes, listed: { sizeBytes: f.bytes.length, etag: r.etag } });
    }
    return objects;
  };

  it('a SlowDown storm: every file arrives intact, the pacer backed off once per 503', async () => {
    const [learn, ...objects] = await seed('storm', 31);
    const { proxy, client, commands } = await fast();
    // The first GET to the bucket goes through the SDK and shows the route.
    await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: learn!.key,
      path: path.join(dir, 'fastget-out', learn!.key),
      listed: learn!.listed,
    });
    expect(commands.get('GetObjectCommand')).toBe(1);
    mode = 'storm';
    const pacer = quickPacer();
    await Promise.all(
      objects.map((o) =>
        downloadFile({
          client,
          pacer,
          bucket: BUCKET,
          key: o.key,
          path: path.join(dir, 'fastget-out', o.key),
          listed: o.listed,
        }),
      ),
    );
    mode = 'forward';
    for (const o of objects) {
      expect(readFileSync(path.join(dir, 'fastget-out', o.key)).equals(o.bytes)).toBe(true);
    }
    // Only that first GET went through the SDK; no HEAD at all.
    expect(commands.get('GetObjectCommand')).toBe(1);
    expect(commands.get('HeadObjectCommand') ?? 0).toBe(0);
    expect(proxy.counts.slowdown).toBeGreaterThan(3);
    expect(pacer.stats().throttles).toBe(proxy.counts.slowdown);
  });

  it('a damaged body fails with E_CHECKSUM_MISMATCH and leaves nothing at the target', async () => {
    const [learn, o] = await seed('damaged', 2);
    const { client } = await fast();
    const out = (key: string) => path.join(dir, 'fastget-out', key);
    await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: learn!.key,
      path: out(learn!.key),
      listed: learn!.listed,
    });
    mode = 'flip-body-byte';
    await expectError(
      downloadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: o!.key,
        path: out(o!.key),
        listed: o!.listed,
        attempts: 1,
      }),
      'E_CHECKSUM_MISMATCH',
      /nothing was written/,
    );
    expect(existsSync(out(o!.key))).toBe(false);
    expect(readdirSync(path.dirname(out(o!.key)))).toEqual([path.basename(out(learn!.key))]);
  });
});

describe('a full local disk', () => {
  let fs: SmallFs;
  beforeAll(() => {
    fs = mountTmpfs(1024 * 1024, 'stowage-full-download-');
  });
  afterAll(() => fs?.unmount());

  it('a download that does not fit is E_STORAGE_FULL naming the local file, ranged or whole, and leaves no temp file', async () => {
    const { file } = makeFile(dir, 'too-big.bin', 2 * 1024 * 1024, 9);
    await uploadFile({
      client: direct,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'too-big.bin',
      path: file,
      partSizeBytes: 5 * 1024 * 1024,
    });
    for (const [name, partSizeBytes] of [
      ['ranged.bin', PART],
      ['whole.bin', 4 * 1024 * 1024],
    ] as const) {
      const out = path.join(fs.mountPoint, name);
      const err = await expectError(
        downloadFile({
          client: direct,
          pacer: new Pacer(),
          bucket: BUCKET,
          key: 'too-big.bin',
          path: out,
          partSizeBytes,
        }),
        'E_STORAGE_FULL',
        /no space left on the local file system/,
      );
      expect(err.message).toContain(fs.mountPoint);
      expect(existsSync(out)).toBe(false);
      // What may stay is what a re-run resumes from: the partial file and its sidecar.
      const left = readdirSync(fs.mountPoint).filter((n) => n.startsWith(name));
      expect(left.filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
      for (const n of left) rmSync(path.join(fs.mountPoint, n));
    }
  });
});
