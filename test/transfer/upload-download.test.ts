/**
 * uploadFile / downloadFile against the real embedded server: 0-byte, small and
 * multipart (3.5 parts) objects round-trip byte for byte, with the metadata, headers,
 * tags, storage class and encryption the upload asked for, and verified checksums.
 */
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  downloadFile,
  multipartEtag,
  Pacer,
  uploadFile,
  type ProgressEvent,
} from '../../src/transfer/index.js';
import { writeMode } from '../../src/transfer/local-file.js';
import { tempDir } from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';
import type { TestServer } from '../helpers/server.js';
import { clientFor, countCommands, makeFile, PART, startSmallPartServer } from './helpers.js';

let srv: TestServer;
let client: S3Client;
let counts: Map<string, number>;
const { dir, cleanup } = tempDir('stowage-xfer-');
const BUCKET = 'xfer';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  srv = await startSmallPartServer();
  client = clientFor(srv.url);
  counts = countCommands(client);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  client.destroy();
  await srv.close();
  cleanup();
});

async function roundTrip(size: number, name: string, extra: Record<string, unknown> = {}) {
  const { file, bytes } = makeFile(dir, name, size, size + 1);
  const mtime = new Date(Date.UTC(2025, 5, 1, 12, 0, 0, 123));
  utimesSync(file, mtime, mtime);
  const pacer = new Pacer();
  const events: ProgressEvent[] = [];
  const up = await uploadFile({
    client,
    pacer,
    bucket: BUCKET,
    key: `k/${name}`,
    path: file,
    partSizeBytes: PART,
    concurrency: 3,
    onProgress: (e) => events.push(e),
    ...extra,
  });
  const out = path.join(dir, 'out', name);
  const down = await downloadFile({
    client,
    pacer,
    bucket: BUCKET,
    key: `k/${name}`,
    path: out,
    partSizeBytes: PART,
    concurrency: 3,
  });
  expect(readFileSync(out).equals(bytes)).toBe(true);
  return { up, down, bytes, events, out, mtime };
}

describe('uploadFile and downloadFile', () => {
  it('round-trips a 0-byte file with a single PUT', async () => {
    const { up, down, bytes } = await roundTrip(0, 'empty.bin');
    expect(up).toMatchObject({
      sizeBytes: 0,
      etag: md5(bytes),
      sha256: sha256(bytes),
      uploadedParts: 0,
    });
    expect(down).toMatchObject({
      sizeBytes: 0,
      sha256: sha256(bytes),
      verifiedBy: 'stowage-sha256',
    });
  });

  it('round-trips a small file with metadata, headers, tags, class and encryption', async () => {
    const { up, down, bytes, mtime, out } = await roundTrip(1000, 'hero.webp', {
      metadata: { project: 'game', 'stowage-sha256': 'forged' },
      tags: { team: 'art', tier: 'hot' },
      storageClass: 'STANDARD_IA',
      cacheControl: 'public, max-age=31536000, immutable',
      sse: 'AES256',
    });
    expect(up.etag).toBe(md5(bytes));
    expect(down.verifiedBy).toBe('stowage-sha256');
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k/hero.webp' }));
    expect(head.Metadata).toEqual({
      project: 'game',
      'stowage-mtime': String(mtime.getTime()),
      'stowage-sha256': sha256(bytes),
    });
    expect(head.ContentType).toBe('image/webp');
    expect(head.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(head.StorageClass).toBe('STANDARD_IA');
    expect(head.ServerSideEncryption).toBe('AES256');
    const tags = await client.send(
      new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'k/hero.webp' }),
    );
    expect(tags.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'art' },
        { Key: 'tier', Value: 'hot' },
      ]),
    );
    // The local mtime of a download is the object's LastModified.
    expect(Math.abs(statSync(out).mtimeMs - head.LastModified!.getTime())).toBeLessThan(1000);
  });

  it('round-trips 3.5 parts as a multipart upload with a verified multipart ETag', async () => {
    const before = counts.get('UploadPartCommand') ?? 0;
    const size = Math.floor(3.5 * PART);
    const { up, down, bytes, events } = await roundTrip(size, 'level.glb');
    expect(up.uploadedParts).toBe(4);
    expect((counts.get('UploadPartCommand') ?? 0) - before).toBe(4);
    const partMd5s = [0, 1, 2, 3].map((i) => md5(bytes.subarray(i * PART, (i + 1) * PART)));
    expect(up.etag).toBe(multipartEtag(partMd5s));
    expect(up.sha256).toBe(sha256(bytes));
    expect(down).toMatchObject({
      sizeBytes: size,
      sha256: sha256(bytes),
      verifiedBy: 'stowage-sha256',
      resumedBytes: 0,
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k/level.glb' }));
    expect(head.ContentType).toBe('model/gltf-binary');
    expect(head.Metadata?.['stowage-sha256']).toBe(sha256(bytes));
    // Progress: a final event with everything done, bytesDone never above the total.
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytesDone: size, bytesTotal: size });
    expect(events.every((e) => e.bytesDone <= e.bytesTotal)).toBe(true);
  });

  it('keeps the local mtime from stowage-mtime with preserveMtime', async () => {
    const { mtime } = await roundTrip(5000, 'keep.png');
    const out = path.join(dir, 'out', 'keep-again.png');
    await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'k/keep.png',
      path: out,
      preserveMtime: true,
    });
    expect(Math.round(statSync(out).mtimeMs)).toBe(mtime.getTime());
  });

  it('downloads a large object with parallel ranged GETs and leaves no partial file', async () => {
    const size = 10 * PART + 17;
    const { down } = await roundTrip(size, 'big.bin');
    expect(down.sizeBytes).toBe(size);
    const left = readdirSync(path.join(dir, 'out')).filter((n) => n.includes('stowage-partial'));
    expect(left).toEqual([]);
    expect(existsSync(path.join(dir, 'out', 'big.bin.stowage-partial'))).toBe(false);
  });

  it("a small download leaves nothing beside the target and clears an earlier run's leftovers", async () => {
    const { bytes } = await roundTrip(3000, 'small-clean.bin');
    const out = path.join(dir, 'out', 'small-again.bin');
    writeFileSync(`${out}.stowage-partial`, 'stale bytes of an interrupted run');
    writeFileSync(`${out}.stowage-partial.json`, '{"version":1}');
    const r = await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'k/small-clean.bin',
      path: out,
      partSizeBytes: PART,
    });
    expect(r).toMatchObject({ sizeBytes: 3000, verifiedBy: 'stowage-sha256', resumedBytes: 0 });
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(existsSync(`${out}.stowage-partial`)).toBe(false);
    expect(existsSync(`${out}.stowage-partial.json`)).toBe(false);
  });

  it('two downloads to one path at once: one writes it, verified; the other is E_LOCAL_IN_USE, not a success with the wrong bytes', async () => {
    const a = await roundTrip(4 * PART + 5, 'same-a.bin');
    const b = await roundTrip(4 * PART + 9, 'same-b.bin');
    const out = path.join(dir, 'out', 'same-target.bin');
    const get = (key: string) =>
      downloadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key,
        path: out,
        partSizeBytes: PART,
      });
    const [ra, rb] = await Promise.allSettled([get('k/same-a.bin'), get('k/same-b.bin')]);
    const won = [ra, rb].filter((r) => r.status === 'fulfilled');
    const lost = [ra, rb].filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'E_LOCAL_IN_USE' });
    const winner = ra.status === 'fulfilled' ? a : b;
    expect(sha256(readFileSync(out))).toBe(sha256(winner.bytes));
    expect(
      readdirSync(path.join(dir, 'out')).filter((n) => n.startsWith('same-target.bin.')),
    ).toEqual([]);
  });

  it("a download takes over the claim of one that was killed, and refuses a live process's", async () => {
    const { bytes } = await roundTrip(2 * PART + 3, 'claimed.bin');
    const out = path.join(dir, 'out', 'claimed-target.bin');
    const lock = `${out}.stowage-partial.lock`;
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, `${dead}\n`);
    const get = () =>
      downloadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'k/claimed.bin',
        path: out,
        partSizeBytes: PART,
      });
    await get();
    expect(readFileSync(out).equals(bytes)).toBe(true);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, `${process.ppid}\n`);
    await expectError(
      get(),
      'E_LOCAL_IN_USE',
      new RegExp(`another download \\(process ${process.ppid}\\)`),
    );
    expect(existsSync(lock)).toBe(true);
    rmSync(lock);
  });

  it('a file appended to while its multipart upload runs is E_LOCAL_CHANGED, and nothing is stored', async () => {
    // Over 1 MiB, so it is read from the file part by part (a smaller one is read whole first).
    const { file } = makeFile(dir, 'growing.bin', 40 * PART + 1, 11);
    let grown = false;
    await expectError(
      uploadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'k/growing.bin',
        path: file,
        partSizeBytes: PART,
        concurrency: 1,
        onProgress: (e) => {
          if (!grown && e.bytesDone > 0) {
            grown = true;
            appendFileSync(file, 'more bytes written meanwhile');
          }
        },
      }),
      'E_LOCAL_CHANGED',
      /growing\.bin changed during the upload; run it again/,
    );
    expect(grown).toBe(true);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k/growing.bin' })),
    ).rejects.toThrow();
  });

  it('an object replaced after its HEAD fails with E_PRECONDITION_FAILED, nothing written', async () => {
    for (const size of [2000, 3 * PART + 5]) {
      const name = `replaced-${size}.bin`;
      await roundTrip(size, name);
      // A client that overwrites the object right after answering its HEAD.
      const racing = clientFor(srv.url);
      racing.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName === 'HeadObjectCommand') {
            await client.send(
              new PutObjectCommand({ Bucket: BUCKET, Key: `k/${name}`, Body: 'replaced' }),
            );
          }
          return result;
        },
        { step: 'initialize', name: 'replaceAfterHead' },
      );
      const out = path.join(dir, 'out-replaced', name);
      await expectError(
        downloadFile({
          client: racing,
          pacer: new Pacer(),
          bucket: BUCKET,
          key: `k/${name}`,
          path: out,
          partSizeBytes: PART,
        }),
        'E_PRECONDITION_FAILED',
        /the object changed during the download/,
      );
      racing.destroy();
      expect(readdirSync(path.dirname(out))).toEqual([]);
    }
  });

  it('with what a listing said, a small object takes one GET and no HEAD; a stale ETag fails', async () => {
    const { up, bytes, mtime } = await roundTrip(2500, 'listed.bin');
    const heads = counts.get('HeadObjectCommand') ?? 0;
    const gets = counts.get('GetObjectCommand') ?? 0;
    const out = path.join(dir, 'out-listed', 'listed.bin');
    const r = await downloadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'k/listed.bin',
      path: out,
      partSizeBytes: PART,
      preserveMtime: true,
      listed: { sizeBytes: 2500, etag: up.etag },
    });
    expect(r).toMatchObject({ sizeBytes: 2500, verifiedBy: 'stowage-sha256', etag: up.etag });
    expect(readFileSync(out).equals(bytes)).toBe(true);
    // The mtime comes from the GET's own metadata (stowage-mtime), as it would from a HEAD.
    expect(Math.round(statSync(out).mtimeMs)).toBe(mtime.getTime());
    expect(counts.get('HeadObjectCommand') ?? 0).toBe(heads);
    expect(counts.get('GetObjectCommand')).toBe(gets + 1);

    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'k/listed.bin', Body: 'changed since' }),
    );
    const stale = path.join(dir, 'out-listed', 'stale.bin');
    await expectError(
      downloadFile({
        client,
        pacer: new Pacer(),
        bucket: BUCKET,
        key: 'k/listed.bin',
        path: stale,
        partSizeBytes: PART,
        listed: { sizeBytes: 2500, etag: up.etag },
      }),
      'E_PRECONDITION_FAILED',
      /the object changed during the download/,
    );
    expect(readdirSync(path.dirname(stale))).toEqual(['listed.bin']);
  });

  for (const mode of ['synchronous calls', 'the thread pool'] as const) {
    it(`a small download with ${mode}: bytes, mtime, leftovers cleared, a bad parent refused`, async () => {
      // Two slow steps in a row send the next files to the thread pool (sync-mode.ts).
      // For synchronous calls, end any such window that slow steps of earlier tests began.
      if (mode === 'the thread pool') {
        writeMode.record(1e9);
        writeMode.record(1e9);
      } else {
        while (!writeMode.useSync());
      }
      try {
        const { bytes, mtime } = await roundTrip(2500, `mode-${mode.length}.bin`);
        const out = path.join(dir, `mode-${mode.length}`, 'deep', 'again.bin');
        writeFileSync(path.join(dir, 'not-a-dir'), 'x');
        mkdirSync(path.dirname(out), { recursive: true });
        writeFileSync(`${out}.stowage-partial`, 'stale');
        writeFileSync(`${out}.stowage-partial.json`, '{"version":1}');
        const got = await downloadFile({
          client,
          pacer: new Pacer(),
          bucket: BUCKET,
          key: `k/mode-${mode.length}.bin`,
          path: out,
          preserveMtime: true,
          listed: { sizeBytes: bytes.length, etag: md5(bytes) },
        });
        expect(got.verifiedBy).toBe('stowage-sha256');
        expect(readFileSync(out).equals(bytes)).toBe(true);
        expect(Math.round(statSync(out).mtimeMs)).toBe(mtime.getTime());
        expect(readdirSync(path.dirname(out))).toEqual(['again.bin']);
        await expectError(
          downloadFile({
            client,
            pacer: new Pacer(),
            bucket: BUCKET,
            key: `k/mode-${mode.length}.bin`,
            path: path.join(dir, 'not-a-dir', 'x.bin'),
          }),
          'E_LOCAL_NOT_A_FILE',
          /cannot stat .*not-a-dir\/x\.bin: not a regular file/,
        );
      } finally {
        // Back to synchronous calls for the tests after this one.
        while (!writeMode.useSync());
      }
    });
  }

  it('grows the part size so no upload needs more than 10,000 parts', async () => {
    const { file } = makeFile(dir, 'tiny-parts.bin', 3 * PART);
    // 1-byte parts would need 196,608 parts; the part size grows to whole MiB instead.
    const r = await uploadFile({
      client,
      pacer: new Pacer(),
      bucket: BUCKET,
      key: 'k/tiny-parts.bin',
      path: file,
      partSizeBytes: 1,
    });
    expect(r.uploadedParts).toBe(1);
  });
});
