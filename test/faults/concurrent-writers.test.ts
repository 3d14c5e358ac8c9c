/**
 * Many writers on one key, with readers streaming all the while. What must hold: every
 * read returns exactly one whole written content (metadata and bytes of the same write,
 * never a mix), the last write leaves exactly one object, leased blobs outlive their
 * object until the reader is done, and once the writes settle no blob is left over.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { BlobBody } from '../../src/engine/blobs/write-blob.js';
import type { CompletedPart } from '../../src/engine/types.js';
import { isStowageError } from '../../src/errors.js';
import {
  openTestEngine,
  patternBytes,
  readAll,
  storedBlobIds,
  streamOf,
} from '../helpers/engine.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

let engine: Engine;
let dir: string;
let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

async function open(minPartSizeBytes?: number): Promise<void> {
  ({ engine, dir, close } = await openTestEngine(
    minPartSizeBytes ? { limits: { minPartSizeBytes } } : {},
  ));
  await engine.createBucket('bkt');
}

/** Stored blobs (ids): files on disk and rows of small bodies kept inline. */
const blobFiles = (): string[] => storedBlobIds(dir);

/**
 * Content of writer `i`: distinct and deterministic, from 0 bytes to over 1 MiB. Exactly
 * one writer sends an empty body, so every content is distinct.
 */
function contentOf(i: number): Buffer {
  if (i === 7) return Buffer.alloc(0);
  if (i === 3) return patternBytes(1, 1000 + i);
  if (i % 5 === 0) return patternBytes(MiB + 1 + i * 4099, 1000 + i);
  return patternBytes(((i * 37_813) % 600_000) + 17, 1000 + i);
}

/** Half the writers stream their body in 64 KiB chunks, so writes interleave. */
function bodyOf(i: number, content: Buffer): BlobBody {
  if (i % 2 === 0) return content;
  const chunks: Buffer[] = [];
  for (let at = 0; at < content.length; at += 64 * 1024) {
    chunks.push(content.subarray(at, at + 64 * 1024));
  }
  return streamOf(...chunks);
}

/**
 * Reads `key` in a loop until `done()` and checks every read against `expected` (sha256 ->
 * ETag). Failures are collected, not thrown, so one bad read does not hide others.
 */
async function readLoop(
  key: string,
  expected: Map<string, string>,
  done: () => boolean,
  failures: string[],
  seen: Set<string>,
): Promise<number> {
  let reads = 0;
  while (!done()) {
    let got: Buffer;
    let info;
    try {
      const r = engine.getObject('bkt', key);
      info = r.info;
      got = await readAll(r.body);
      if (r.contentLength !== got.length) {
        failures.push(`contentLength ${r.contentLength} but ${got.length} bytes arrived`);
      }
    } catch (err) {
      failures.push(`read failed: ${String(err)}`);
      await delay(1);
      continue;
    }
    reads++;
    const h = sha256(got);
    seen.add(h);
    const etag = expected.get(h);
    if (etag === undefined) failures.push(`read ${got.length} bytes that no writer wrote`);
    else if (info.etag !== etag) failures.push(`bytes of one write with the ETag ${info.etag}`);
    if (info.size !== got.length) failures.push(`size ${info.size} but ${got.length} bytes`);
    if (info.sha256 !== undefined && info.sha256 !== h) failures.push('sha256 of another write');
    await new Promise((r) => setImmediate(r));
  }
  return reads;
}

describe('concurrent writers on one key', () => {
  it('40 concurrent PUTs with readers: every read is one whole write, the last one stays', async () => {
    await open();
    const WRITERS = 40;
    const contents = Array.from({ length: WRITERS + 1 }, (_, i) => contentOf(i));
    const expected = new Map(contents.map((c) => [sha256(c), `"${md5(c).toString('hex')}"`]));
    expect(expected.size).toBe(WRITERS + 1);
    // The key exists before the race, so a reader never legitimately sees NoSuchKey.
    await engine.putObject('bkt', 'k', contents[WRITERS]!);

    let writing = true;
    const failures: string[] = [];
    const seen = new Set<string>();
    const readers = Array.from({ length: 6 }, () =>
      readLoop('k', expected, () => !writing, failures, seen),
    );
    const results = await Promise.allSettled(
      contents.slice(0, WRITERS).map(async (c, i) => {
        await delay(i % 4); // stagger a little so writes start and finish out of order
        return engine.putObject('bkt', 'k', bodyOf(i, c), { contentLength: c.length });
      }),
    );
    writing = false;
    const reads = await Promise.all(readers);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled')
        expect(r.value.etag).toBe(`"${md5(contents[i]!).toString('hex')}"`);
    });
    expect(failures).toEqual([]);
    expect(reads.reduce((a, b) => a + b, 0)).toBeGreaterThan(WRITERS);
    // The readers really ran between the writes: they saw several different objects.
    expect(seen.size).toBeGreaterThan(3);

    const final = engine.getObject('bkt', 'k');
    const bytes = await readAll(final.body);
    const index = contents.findIndex((c) => c.equals(bytes));
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThan(WRITERS);
    expect(final.info.etag).toBe(`"${md5(bytes).toString('hex')}"`);
    expect(final.info.size).toBe(bytes.length);
    expect(final.info.sha256).toBe(sha256(bytes));

    // Replaced blobs are unlinked asynchronously after their commit.
    await delay(100);
    expect(blobFiles()).toHaveLength(bytes.length === 0 ? 0 : 1);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    const report = await engine.check({ deep: true });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('in a versioned bucket every concurrent PUT becomes its own whole version', async () => {
    await open();
    await engine.putBucketVersioning('bkt', 'Enabled');
    const WRITERS = 24;
    const contents = Array.from({ length: WRITERS }, (_, i) => contentOf(i + 1));
    const results = await Promise.all(
      contents.map((c, i) => engine.putObject('bkt', 'v', bodyOf(i, c))),
    );
    const versions = engine.listObjectVersions('bkt', { prefix: 'v' }).versions;
    expect(versions).toHaveLength(WRITERS);
    expect(new Set(versions.map((v) => v.versionId)).size).toBe(WRITERS);
    expect(versions.filter((v) => v.isLatest)).toHaveLength(1);
    for (const [i, r] of results.entries()) {
      const got = await readAll(engine.getObject('bkt', 'v', { versionId: r.versionId }).body);
      expect(got.equals(contents[i]!), `version of writer ${i}`).toBe(true);
    }
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  for (const kind of ['single PUT', 'multipart'] as const) {
    it(`a reader that started before an overwrite and a delete gets the old ${kind} object whole`, async () => {
      await open(64 * 1024);
      const old = patternBytes(4 * MiB + 123, 77);
      if (kind === 'single PUT') {
        await engine.putObject('bkt', 'lease', old);
      } else {
        const up = await engine.createMultipartUpload('bkt', 'lease');
        const cut = [0, 1 * MiB, 2 * MiB + 5, old.length];
        const parts: CompletedPart[] = [];
        for (let n = 1; n <= 3; n++) {
          const p = await engine.uploadPart(
            'bkt',
            'lease',
            up.uploadId,
            n,
            old.subarray(cut[n - 1], cut[n]),
          );
          parts.push({ partNumber: n, etag: p.etag });
        }
        await engine.completeMultipartUpload('bkt', 'lease', up.uploadId, parts);
      }
      const oldBlobs = blobFiles();
      expect(oldBlobs.length).toBe(kind === 'single PUT' ? 1 : 3);

      // One reader has consumed its first chunk; the other has a lease but has not started.
      const started = engine.getObject('bkt', 'lease');
      const iterator = started.body[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const notStarted = engine.getObject('bkt', 'lease');

      await engine.putObject('bkt', 'lease', patternBytes(1000, 5));
      await delay(50);
      expect(blobFiles()).toEqual(expect.arrayContaining(oldBlobs));
      await engine.deleteObject('bkt', 'lease');
      await delay(50);
      expect(blobFiles().sort()).toEqual([...oldBlobs].sort());
      expect(() => engine.headObject('bkt', 'lease')).toThrow(/does not exist/);

      const rest: Buffer[] = [Buffer.from(first.value as Uint8Array)];
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        rest.push(Buffer.from(r.value as Uint8Array));
      }
      expect(Buffer.concat(rest).equals(old)).toBe(true);
      expect(blobFiles().length).toBe(oldBlobs.length); // the second lease still holds them
      expect((await readAll(notStarted.body)).equals(old)).toBe(true);

      await delay(50);
      expect(blobFiles()).toEqual([]);
      expect((await engine.check()).problems).toEqual([]);
    });
  }

  it('concurrent CompleteMultipartUpload and PUT on one key: one whole winner, no leftovers', async () => {
    await open(64 * 1024);
    const UPLOADS = 8;
    const PUTS = 16;
    const expected = new Map<string, string>();
    const completions: Array<() => Promise<unknown>> = [];
    for (let u = 0; u < UPLOADS; u++) {
      const partCount = 2 + (u % 3);
      const sizes = Array.from({ length: partCount }, (_, n) =>
        n === partCount - 1 ? 1 + u * 1000 : 64 * 1024 + u * 311 + n,
      );
      const whole = patternBytes(
        sizes.reduce((a, b) => a + b, 0),
        5000 + u,
      );
      const up = await engine.createMultipartUpload('bkt', 'mk');
      const parts: CompletedPart[] = [];
      let at = 0;
      for (const [n, size] of sizes.entries()) {
        const p = await engine.uploadPart(
          'bkt',
          'mk',
          up.uploadId,
          n + 1,
          whole.subarray(at, at + size),
        );
        parts.push({ partNumber: n + 1, etag: p.etag });
        at += size;
      }
      const partMd5s = Buffer.concat(
        sizes.map((_, n) => {
          const from = sizes.slice(0, n).reduce((a, b) => a + b, 0);
          return md5(whole.subarray(from, from + sizes[n]!));
        }),
      );
      expected.set(sha256(whole), `"${md5(partMd5s).toString('hex')}-${partCount}"`);
      completions.push(() => engine.completeMultipartUpload('bkt', 'mk', up.uploadId, parts));
    }
    const puts = Array.from({ length: PUTS }, (_, i) => contentOf(i + 50));
    for (const c of puts) expected.set(sha256(c), `"${md5(c).toString('hex')}"`);
    const seed = puts[0]!;
    await engine.putObject('bkt', 'mk', seed);

    let writing = true;
    const failures: string[] = [];
    const seen = new Set<string>();
    const readers = Array.from({ length: 4 }, () =>
      readLoop('mk', expected, () => !writing, failures, seen),
    );
    const ops: Array<() => Promise<unknown>> = [...completions];
    puts.forEach((c, i) =>
      ops.splice(i % (ops.length + 1), 0, () => engine.putObject('bkt', 'mk', bodyOf(i, c))),
    );
    const results = await Promise.allSettled(ops.map((op) => op()));
    writing = false;
    await Promise.all(readers);

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(failures).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
    const final = engine.getObject('bkt', 'mk');
    const bytes = await readAll(final.body);
    expect(expected.get(sha256(bytes))).toBe(final.info.etag);
    expect(final.info.size).toBe(bytes.length);
    expect(engine.listMultipartUploads('bkt').uploads).toEqual([]);

    await delay(100);
    expect(blobFiles()).toHaveLength(final.info.partsCount || (bytes.length > 0 ? 1 : 0));
    const report = await engine.check({ deep: true });
    expect(report.problems).toEqual([]);
  });

  it('a failed PUT racing successful ones leaves no trace', async () => {
    await open();
    await engine.putObject('bkt', 'f', 'first');
    async function* broken(): AsyncGenerator<Buffer> {
      yield patternBytes(300_000, 1);
      await delay(5);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    const results = await Promise.allSettled([
      engine.putObject('bkt', 'f', broken()),
      engine.putObject('bkt', 'f', patternBytes(200_000, 2)),
      engine.putObject('bkt', 'f', broken()),
      engine.putObject('bkt', 'f', patternBytes(200_000, 3), {
        contentMd5: 'AAAAAAAAAAAAAAAAAAAAAA==',
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'rejected']);
    for (const r of results) {
      if (r.status === 'rejected') expect(isStowageError(r.reason), String(r.reason)).toBe(true);
    }
    expect(
      (await readAll(engine.getObject('bkt', 'f').body)).equals(patternBytes(200_000, 2)),
    ).toBe(true);
    await delay(50);
    expect(blobFiles()).toHaveLength(1);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect((await engine.check()).ok).toBe(true);
  });
});
