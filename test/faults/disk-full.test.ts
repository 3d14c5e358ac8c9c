/**
 * A real full file system: a 24 MiB tmpfs mounted for this file. Writes that do not fit
 * must fail with E_STORAGE_FULL and leave nothing behind (no temp file, no blob, no row),
 * earlier objects must stay byte-identical, and the store must recover once space is
 * freed: through the API (a delete) when the engine itself filled the disk, or by the
 * operator when something else did.
 *
 * Mounting needs root (or CAP_SYS_ADMIN). Without it these tests fail; they never skip.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { databaseFile } from '../../src/data-dir.js';
import { Engine } from '../../src/engine/engine.js';
import { isStowageError, type StowageError } from '../../src/errors.js';
import { patternBytes, readAll, storedBlobIds, streamOf, tempDir } from '../helpers/engine.js';
import { BIN } from '../helpers/serve-process.js';
import { fillDisk, mountExt4, mountTmpfs, type SmallFs } from '../helpers/small-fs.js';

const MiB = 1024 * 1024;
const KiB = 1024;
const FS_BYTES = 24 * MiB;
const BUCKET = 'full-disk';
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let fs: SmallFs | undefined;
let mountPoint: string;
let dataDir: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(() => {
  fs = mountTmpfs(FS_BYTES, 'stowage-full-');
  mountPoint = fs.mountPoint;
  process.on('unhandledRejection', onUnhandled);
});

afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  fs?.unmount();
});

beforeEach(() => {
  dataDir = path.join(mountPoint, `data-${Date.now()}`);
  unhandled.length = 0;
});

/** Runs after the test that set it, before its data directory is removed. */
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.().catch(() => undefined);
  cleanup = undefined;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(path.join(mountPoint, 'filler'), { force: true });
});

/** Awaits a write that must fail because the disk is full; returns the error. */
async function expectFull(p: Promise<unknown>): Promise<StowageError> {
  try {
    await p;
  } catch (err) {
    expect(isStowageError(err), `expected a StowageError, got ${String(err)}`).toBe(true);
    expect((err as StowageError).code, (err as Error).message).toBe('E_STORAGE_FULL');
    return err as StowageError;
  }
  throw new Error('expected E_STORAGE_FULL, but the write succeeded');
}

const blobFiles = (): string[] => storedBlobIds(dataDir);

const tmpFiles = (): string[] => readdirSync(path.join(dataDir, 'tmp'));

/** Reads every recorded object back and compares its SHA-256. */
async function expectIntact(engine: Engine, stored: Map<string, string>): Promise<void> {
  for (const [key, digest] of stored) {
    const bytes = await readAll(engine.getObject(BUCKET, key).body);
    expect(sha256(bytes), key).toBe(digest);
  }
}

describe('a full disk', () => {
  it('rejects what does not fit with E_STORAGE_FULL, keeps every object, and recovers after a delete', async () => {
    let engine = await Engine.open({ dataDir, limits: { minPartSizeBytes: 64 * KiB } });
    await engine.createBucket(BUCKET);
    const stored = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const body = patternBytes(300 * KiB + i * 50 * KiB, i + 1);
      await engine.putObject(BUCKET, `early/${i}`, body);
      stored.set(`early/${i}`, sha256(body));
    }
    const part1 = patternBytes(64 * KiB, 99);
    const upload = await engine.createMultipartUpload(BUCKET, 'multi');
    const p1 = await engine.uploadPart(BUCKET, 'multi', upload.uploadId, 1, part1);

    // Fill with ever smaller objects until each size fails: every failure is the same code
    // and leaves neither a temp file nor a blob.
    const failures: StowageError[] = [];
    for (const size of [MiB, 64 * KiB, 4 * KiB, 100]) {
      for (let i = 0; ; i++) {
        const key = `fill/${size}/${i}`;
        const body = patternBytes(size, 1000 + i);
        const before = blobFiles();
        try {
          await engine.putObject(BUCKET, key, body);
          stored.set(key, sha256(body));
        } catch (err) {
          failures.push(await expectFull(Promise.reject(err)));
          expect(() => engine.headObject(BUCKET, key)).toThrow(/does not exist/);
          await delay(20);
          expect(tmpFiles()).toEqual([]);
          expect(blobFiles()).toEqual(before);
          break;
        }
        expect(i, 'the disk never filled up').toBeLessThan(30_000);
      }
    }
    expect(failures).toHaveLength(4);
    expect(stored.size).toBeGreaterThan(20);

    // A streamed body of unknown length, a 0-byte object and a multipart part fail the same way.
    const before = blobFiles();
    await expectFull(
      engine.putObject(BUCKET, 'streamed', streamOf(patternBytes(300 * KiB), patternBytes(MiB))),
    );
    await expectFull(engine.uploadPart(BUCKET, 'multi', upload.uploadId, 2, patternBytes(MiB, 7)));
    await delay(20);
    expect(tmpFiles()).toEqual([]);
    expect(blobFiles()).toEqual(before);
    expect(
      engine.listParts(BUCKET, 'multi', upload.uploadId).parts.map((p) => p.partNumber),
    ).toEqual([1]);

    // Reads and the integrity check need no space.
    await expectIntact(engine, stored);
    expect((await engine.check({ deep: true })).problems).toEqual([]);

    // Deleting frees space through the API; then writes succeed again.
    for (const key of ['fill/1048576/0', 'fill/1048576/1', 'fill/1048576/2']) {
      await engine.deleteObject(BUCKET, key);
      stored.delete(key);
    }
    await delay(50);
    const again = patternBytes(700 * KiB, 4242);
    await engine.putObject(BUCKET, 'again', again);
    stored.set('again', sha256(again));
    const part2 = patternBytes(300 * KiB, 98);
    const p2 = await engine.uploadPart(BUCKET, 'multi', upload.uploadId, 2, part2);
    await engine.completeMultipartUpload(BUCKET, 'multi', upload.uploadId, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 2, etag: p2.etag },
    ]);
    stored.set('multi', sha256(Buffer.concat([part1, part2])));
    await expectIntact(engine, stored);
    await delay(20);
    expect((await engine.check({ deep: true })).problems).toEqual([]);

    await engine.close();
    engine = await Engine.open({ dataDir });
    try {
      expect(engine.recovery.uncleanShutdown).toBe(false);
      await expectIntact(engine, stored);
      expect((await engine.check({ deep: true })).problems).toEqual([]);
    } finally {
      await engine.close();
    }
    expect(unhandled).toEqual([]);
  });

  it('small objects written until the disk is full and then deleted make room for small objects again', async () => {
    // Their bytes live in the database, whose file does not shrink when rows go: the pages
    // they freed are room for new rows, though the file system's free space stays the same.
    const engine = await Engine.open({ dataDir });
    // Closed however the test ends: an open database holds its deleted files' space, and
    // the next tests on this file system would find it full.
    cleanup = () => engine.close();
    await engine.createBucket(BUCKET);
    const keys: string[] = [];
    for (let i = 0; ; i++) {
      const key = `small/${i}`;
      try {
        await engine.putObject(BUCKET, key, patternBytes(64 * KiB, i));
      } catch (err) {
        await expectFull(Promise.reject(err));
        break;
      }
      keys.push(key);
      expect(i, 'the disk never filled up').toBeLessThan(10_000);
    }
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) await engine.deleteObject(BUCKET, key);
    expect(engine.listObjects(BUCKET).objects).toEqual([]);
    // As many small objects fit again, the last of them refused as before.
    const again = patternBytes(64 * KiB, 7);
    for (let i = 0; i < keys.length / 2; i++) {
      await engine.putObject(BUCKET, `again/${i}`, again);
    }
    expect(sha256(await readAll(engine.getObject(BUCKET, 'again/0').body))).toBe(sha256(again));
    await engine.deleteObject(BUCKET, 'again/0');
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  /** Writes 100 KiB objects until the disk is full; returns their keys and digests. */
  async function fillWithSmallObjects(engine: Engine): Promise<Map<string, string>> {
    const bodies = new Map<string, string>();
    for (let i = 0; ; i++) {
      const body = patternBytes(100 * KiB, i);
      try {
        await engine.putObject(BUCKET, `small/${i}`, body);
      } catch (err) {
        await expectFull(Promise.reject(err));
        return bodies;
      }
      bodies.set(`small/${i}`, sha256(body));
      expect(i, 'the disk never filled up').toBeLessThan(10_000);
    }
  }

  it('the space deleted small objects leave in the database serves large objects at once, with the server running', async () => {
    const engine = await Engine.open({ dataDir });
    cleanup = () => engine.close();
    await engine.createBucket(BUCKET);
    const bodies = await fillWithSmallObjects(engine);
    const keys = [...bodies.keys()];
    // Every other one goes: the free pages are spread through the file, between live ones.
    for (const key of keys.filter((_, i) => i % 2)) {
      await engine.deleteObject(BUCKET, key);
      bodies.delete(key);
    }
    const large = patternBytes(3 * MiB, 2);
    await engine.putObject(BUCKET, 'large', large);
    bodies.set('large', sha256(large));
    // And the reserve still holds: what no longer fits is refused as before.
    await expectFull(engine.putObject(BUCKET, 'too-large', patternBytes(FS_BYTES, 3)));
    await expectIntact(engine, bodies);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
    await engine.close();
    // Reopened, the database is whole.
    const again = await Engine.open({ dataDir });
    cleanup = () => again.close();
    await expectIntact(again, bodies);
    expect((await again.check({ deep: true })).problems).toEqual([]);
  });

  it('concurrent large uploads after every small object was deleted all fit, each making room as the others write (also on ext4)', async () => {
    await concurrentLargeAfterSmall(dataDir);
    // ext4's free space lags behind writes in flight (delayed allocation): a release of
    // exactly what seemed short left concurrent multipart parts refused.
    const ext4 = mountExt4(48 * MiB, 'stowage-full-ext4-');
    try {
      await concurrentLargeAfterSmall(path.join(ext4.mountPoint, 'data'), 7);
    } finally {
      await cleanup?.();
      cleanup = undefined;
      ext4.unmount();
    }
  });

  /** Fills `dir` with small objects, deletes them all, then writes large ones at once. */
  async function concurrentLargeAfterSmall(dir: string, count = 4): Promise<void> {
    const engine = await Engine.open({ dataDir: dir });
    cleanup = () => engine.close();
    await engine.createBucket(BUCKET);
    const bodies = await fillWithSmallObjects(engine);
    for (const key of bodies.keys()) await engine.deleteObject(BUCKET, key);
    // 3 MiB each, two thirds (tmpfs: 4 of 19 MB beyond the reserve) to three quarters
    // (ext4: 7 of 30 MB) of the room there is once the database has given its pages back,
    // though they are written at the same time.
    const larges = Array.from(
      { length: count },
      (_, i) => [`large/${i}`, patternBytes(3 * MiB, 10 + i)] as const,
    );
    await Promise.all(larges.map(([key, body]) => engine.putObject(BUCKET, key, streamOf(body))));
    await expectIntact(engine, new Map(larges.map(([key, body]) => [key, sha256(body)])));
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  }

  it('compacting gives the space of deleted small objects back to large ones in a database made before that happened by itself; without room to rewrite the database it fails and changes nothing', async () => {
    // A data directory from before new databases gave free pages back while open.
    await (await Engine.open({ dataDir })).close();
    const old = new Database(databaseFile(dataDir));
    old.pragma('auto_vacuum = NONE');
    old.exec('VACUUM');
    expect(old.pragma('auto_vacuum', { simple: true })).toBe(0);
    old.close();
    const engine = await Engine.open({ dataDir });
    cleanup = () => engine.close();
    await engine.createBucket(BUCKET);
    const bodies = await fillWithSmallObjects(engine);
    const keys = [...bodies.keys()];
    const [odd, even] = [keys.filter((_, i) => i % 2), keys.filter((_, i) => i % 2 === 0)];
    for (const key of odd) {
      await engine.deleteObject(BUCKET, key);
      bodies.delete(key);
    }
    const large = patternBytes(3 * MiB, 2);
    await expectFull(engine.putObject(BUCKET, 'large', large));

    // Half the objects are live: their copy's write-ahead log beside the database does
    // not fit in what is free. How much the fill left free depends on when its writes
    // checkpointed (under load it stopped at 60 objects instead of 75, and the copy fitted),
    // so another program takes all but half the live bytes first. The error names the
    // free bytes as they were before it took them (it said 0 when read after the failed
    // attempt).
    const liveBytes = bodies.size * 100 * KiB;
    const filler = fillDisk(mountPoint);
    try {
      filler.free(liveBytes / 2);
      const s = statfsSync(mountPoint);
      const short = await expectFull(engine.compact());
      const dataFree = (short.details as { dataFreeBytes: number }).dataFreeBytes;
      expect(dataFree).toBeGreaterThan(MiB);
      expect(Math.abs(dataFree - s.bavail * s.bsize)).toBeLessThan(MiB);
      await expectIntact(engine, bodies);

      // Nor on a disk another program took to the last block. The database is left as it was.
      filler.top();
      await expectFull(engine.compact());
    } finally {
      filler.remove();
    }
    await expectIntact(engine, bodies);

    for (const key of even.slice(1)) {
      await engine.deleteObject(BUCKET, key);
      bodies.delete(key);
    }
    await expectFull(engine.putObject(BUCKET, 'large', large));
    const report = await engine.compact();
    expect(report.afterBytes).toBeLessThan(report.beforeBytes - 4 * MiB);
    await engine.putObject(BUCKET, 'large', large);
    bodies.set('large', sha256(large));
    await expectIntact(engine, bodies);
    expect((await engine.check({ deep: true })).problems).toEqual([]);

    // Compacted, the database gives free pages back by itself from now on.
    await engine.deleteObject(BUCKET, 'large');
    bodies.delete('large');
    for (const [key, digest] of await fillWithSmallObjects(engine)) bodies.set(key, digest);
    for (const key of [...bodies.keys()].filter((_, i) => i % 2)) {
      await engine.deleteObject(BUCKET, key);
      bodies.delete(key);
    }
    await engine.putObject(BUCKET, 'large', large);
    bodies.set('large', sha256(large));
    await expectIntact(engine, bodies);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  it("compacting names SQLite's temporary directory when that is what is full", async () => {
    // VACUUM builds its copy in SQLITE_TMPDIR (TMPDIR, /var/tmp), not in the data directory:
    // here the data directory has room and the temporary directory has none.
    const { dir: roomy, cleanup: removeRoomy } = tempDir('stowage-compact-');
    try {
      const engine = await Engine.open({ dataDir: roomy, fsync: false });
      await engine.createBucket(BUCKET);
      for (let i = 0; i < 200; i++) {
        await engine.putObject(BUCKET, `small/${i}`, patternBytes(60 * KiB, i));
      }
      for (let i = 0; i < 200; i += 2) await engine.deleteObject(BUCKET, `small/${i}`);
      await engine.close();
      const filler = fillDisk(mountPoint);
      let r: ReturnType<typeof spawnSync>;
      try {
        r = spawnSync(process.execPath, [BIN, 'engine', 'compact', '--data-dir', roomy], {
          env: { ...process.env, SQLITE_TMPDIR: mountPoint },
          encoding: 'utf8',
        });
      } finally {
        filler.remove();
      }
      expect(r.status, String(r.stderr)).toBe(7);
      expect(String(r.stderr)).toContain(`SQLite's temporary directory ${mountPoint}`);
      expect(String(r.stderr)).toContain('E_STORAGE_FULL');
      // Nothing changed: every object left reads back, and the check is clean.
      const after = await Engine.open({ dataDir: roomy, fsync: false });
      cleanup = () => after.close();
      for (let i = 1; i < 200; i += 2) {
        const got = await readAll(after.getObject(BUCKET, `small/${i}`).body);
        expect(sha256(got), `small/${i}`).toBe(sha256(patternBytes(60 * KiB, i)));
      }
      expect((await after.check({ deep: true })).problems).toEqual([]);
    } finally {
      await cleanup?.();
      cleanup = undefined;
      removeRoomy();
    }
  });

  it('metadata-only writes stop at the reserve too, so deletes that free space keep working', async () => {
    // Delete markers, tags, ACLs, uploads, completions, restores, versioning and bucket
    // documents add rows but no blob bytes.
    // Were they let past the reserve, a client could grow the database until the disk had
    // not a byte left, and then no delete could commit (found by a probe through S3).
    const reserve = 4 * MiB;
    const freeNow = (): number => {
      const s = statfsSync(mountPoint);
      return s.bavail * s.bsize;
    };
    const engine = await Engine.open({ dataDir, reserveBytes: reserve });
    try {
      await engine.createBucket(BUCKET);
      await engine.putBucketVersioning(BUCKET, 'Enabled');
      // In a bucket whose versioning is suspended, a plain delete replaces the key's null
      // version with a null marker: it frees the bytes, so the reserve lets it through.
      await engine.createBucket('suspended');
      await engine.putBucketVersioning('suspended', 'Suspended');
      await engine.putObject('suspended', 'null-version', patternBytes(MiB, 77));
      // An archived object to restore and an upload to complete, made while there is room.
      await engine.putObject(BUCKET, 'archived', patternBytes(1000, 3), {
        storageClass: 'GLACIER',
      });
      const { uploadId } = await engine.createMultipartUpload(BUCKET, 'finished');
      const part = await engine.uploadPart(BUCKET, 'finished', uploadId, 1, patternBytes(1000, 4));
      const versions: Array<{ key: string; versionId: string }> = [];
      for (let i = 0; ; i++) {
        const key = `big/${i}`;
        try {
          const r = await engine.putObject(BUCKET, key, patternBytes(MiB, i + 1));
          versions.push({ key, versionId: r.versionId! });
        } catch (err) {
          await expectFull(Promise.reject(err));
          break;
        }
        expect(i, 'the disk never filled up').toBeLessThan(100);
      }
      expect(versions.length).toBeGreaterThan(5);

      // Delete markers of long keys, 1000 at a time, until the reserve refuses them.
      const longKey = (batch: number, i: number): string =>
        `marker/${batch}/${i}/${'m'.repeat(200)}`;
      let refused: string | undefined;
      for (let batch = 0; batch < 400 && refused === undefined; batch++) {
        const results = await engine.deleteObjects(
          BUCKET,
          Array.from({ length: 1000 }, (_, i) => ({ key: longKey(batch, i) })),
        );
        refused = results.find((r) => !r.ok)?.code;
      }
      expect(refused, 'delete markers never stopped at the reserve').toBe('InsufficientStorage');
      // The reserve is still there (less what was in flight), not used up by the database.
      expect(freeNow()).toBeGreaterThan(reserve / 2);
      await expectFull(engine.deleteObject(BUCKET, 'one-more-marker'));
      const [first] = versions;
      await expectFull(engine.putObjectTagging(BUCKET, first!.key, { a: 'b' }));
      await expectFull(engine.putObjectAcl(BUCKET, first!.key, 'public-read'));
      await expectFull(engine.createMultipartUpload(BUCKET, 'upload'));
      await expectFull(engine.createBucket('another-bucket'));
      await expectFull(engine.putBucketConfig(BUCKET, 'cors', '<CORSConfiguration/>'));
      await expectFull(engine.putBucketVersioning('suspended', 'Enabled'));
      await expectFull(engine.restoreObject(BUCKET, 'archived', { days: 1 }));
      const finish = () =>
        engine.completeMultipartUpload(BUCKET, 'finished', uploadId, [
          { partNumber: 1, etag: part.etag },
        ]);
      await expectFull(finish());
      const nullMarker = await engine.deleteObject('suspended', 'null-version');
      expect(nullMarker).toEqual({ deleteMarker: true, versionId: 'null' });

      // Deletes of versions free space at the reserve; then the refused writes work again.
      for (const v of versions.slice(0, 4)) {
        const r = await engine.deleteObject(BUCKET, v.key, { versionId: v.versionId });
        expect(r.versionId).toBe(v.versionId);
      }
      await delay(50);
      expect(freeNow()).toBeGreaterThan(reserve + 2 * MiB);
      expect((await engine.deleteObject(BUCKET, 'one-more-marker')).deleteMarker).toBe(true);
      await engine.putObjectTagging(BUCKET, versions[4]!.key, { a: 'b' });
      await engine.createMultipartUpload(BUCKET, 'upload');
      await engine.putBucketVersioning('suspended', 'Enabled');
      await engine.restoreObject(BUCKET, 'archived', { days: 1 });
      expect((await finish()).etag).toMatch(/-1"$/);
      expect((await engine.check({ deep: true })).problems).toEqual([]);
    } finally {
      await engine.close();
    }
    expect(unhandled).toEqual([]);
  });

  // Small bodies are kept in the database (inline) by default; with inlineMaxBytes 0 the
  // same writes go through blob files. Both must fail the same clean way.
  it.each([
    ['blob files', 0, ['ENOSPC', 'SQLITE_FULL']],
    ['small bodies inline', undefined, ['SQLITE_FULL']],
  ])(
    'when another program fills the disk (%s): every write path fails cleanly, reads work, close and open behave',
    async (_, inlineMaxBytes, expectedCauses) => {
      // No free-space reserve: the engine meets ENOSPC and SQLITE_FULL themselves.
      const options = { dataDir, ...(inlineMaxBytes !== undefined ? { inlineMaxBytes } : {}) };
      let engine = await Engine.open({ ...options, reserveBytes: 0 });
      await engine.createBucket(BUCKET);
      const stored = new Map<string, string>();
      for (let i = 0; i < 6; i++) {
        // Half of them small enough to be kept inline.
        const body = patternBytes(i % 2 ? 200 * KiB + i : 20 * KiB + i, i + 7);
        await engine.putObject(BUCKET, `k${i}`, body);
        stored.set(`k${i}`, sha256(body));
      }
      const blobsBefore = blobFiles();
      const filler = fillDisk(mountPoint);
      try {
        const causes = new Set<string>();
        const cause = (e: StowageError): string => String((e.cause as { code?: string })?.code);
        // Bytes do not fit (ENOSPC while writing the blob).
        causes.add(cause(await expectFull(engine.putObject(BUCKET, 'x', patternBytes(100 * KiB)))));
        // No bytes to write, but the metadata commit does not fit (SQLITE_FULL).
        causes.add(cause(await expectFull(engine.putObject(BUCKET, 'empty', Buffer.alloc(0)))));
        // One free block: the blob fits, its commit does not, and the blob must go again.
        filler.free(4 * KiB);
        causes.add(cause(await expectFull(engine.putObject(BUCKET, 'y', patternBytes(100)))));
        expect([...causes].sort()).toEqual(expectedCauses);
        // A client that goes away while the failing write is still in flight.
        async function* dropped(): AsyncGenerator<Buffer> {
          yield patternBytes(2 * MiB, 3);
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        const err = await engine.putObject(BUCKET, 'z', dropped()).catch((e: unknown) => e);
        expect(isStowageError(err), String(err)).toBe(true);
        await delay(50);
        expect(unhandled).toEqual([]);
        for (const key of ['x', 'empty', 'y', 'z']) {
          expect(() => engine.headObject(BUCKET, key)).toThrow(/does not exist/);
        }
        expect(tmpFiles()).toEqual([]);
        expect(blobFiles()).toEqual(blobsBefore);
        await expectIntact(engine, stored);
        expect((await engine.check({ deep: true })).problems).toEqual([]);

        // Closing must release the data directory even though nothing more can be written.
        await engine.close();
        expect(existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
        // Closing checkpointed and removed the WAL; take that space too. Opening must then
        // fail cleanly, and not leave anything that blocks the next open.
        filler.top();
        await expectFull(Engine.open(options));
      } finally {
        filler.remove();
      }

      engine = await Engine.open(options);
      try {
        await expectIntact(engine, stored);
        const body = patternBytes(500 * KiB, 5);
        await engine.putObject(BUCKET, 'after', body);
        expect(sha256(await readAll(engine.getObject(BUCKET, 'after').body))).toBe(sha256(body));
        expect(tmpFiles()).toEqual([]);
        expect((await engine.check({ deep: true })).problems).toEqual([]);
      } finally {
        await engine.close();
      }
      expect(unhandled).toEqual([]);
    },
  );

  it('a write that fails while the body is still arriving is E_STORAGE_FULL, not an unhandled rejection that ends the process', async () => {
    // The batch write runs while the next chunk is awaited: when it fails then (a quota, an
    // I/O error, or as here another program took the space), nothing is awaiting it yet.
    const engine = await Engine.open({ dataDir, reserveBytes: 0, inlineMaxBytes: 0 });
    try {
      await engine.createBucket(BUCKET);
      const filler = fillDisk(mountPoint);
      try {
        async function* slow(): AsyncGenerator<Buffer> {
          yield patternBytes(2 * MiB, 1);
          await delay(300);
          yield patternBytes(MiB, 2);
        }
        await expectFull(engine.putObject(BUCKET, 'slow', slow()));
        await delay(50);
        expect(unhandled).toEqual([]);
        expect(() => engine.headObject(BUCKET, 'slow')).toThrow(/does not exist/);
        expect(tmpFiles()).toEqual([]);
      } finally {
        filler.remove();
      }
    } finally {
      await engine.close();
    }
  });

  it('a first start on an almost full disk fails with E_STORAGE_FULL, never an internal error', async () => {
    // Whatever the space left, a data directory that cannot be set up for lack of it is
    // reported as a full disk (exit 7), and the next start after freeing space works.
    const outcomes = new Set<string>();
    for (let leave = 0; leave <= 400 * KiB; leave += 24 * KiB) {
      const dir = path.join(mountPoint, `start-${leave}`);
      const filler = fillDisk(mountPoint);
      filler.free(leave);
      try {
        const engine = await Engine.open({ dataDir: dir });
        await engine.close();
        outcomes.add('opened');
      } catch (err) {
        expect(isStowageError(err), String(err)).toBe(true);
        expect((err as StowageError).code, `${leave} bytes left: ${(err as Error).message}`).toBe(
          'E_STORAGE_FULL',
        );
        outcomes.add('full');
      } finally {
        filler.remove();
      }
      const engine = await Engine.open({ dataDir: dir });
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(outcomes.has('full')).toBe(true);
  });
});

describe('a file system out of inodes, with bytes to spare', () => {
  it('an upload that needs a new blobs/ directory when no inode is left is 507; none half-written; writes resume', async () => {
    const ext4 = mountExt4(32 * MiB, 'stowage-inodes-', ['-N', '64']);
    try {
      const dataDir = path.join(ext4.mountPoint, 'data');
      const engine = await Engine.open({ dataDir, fsync: false });
      try {
        await engine.createBucket('inodes');
        // Every free inode taken by empty files beside the data directory, then one given back.
        const filler = path.join(ext4.mountPoint, 'filler');
        mkdirSync(filler);
        let n = 0;
        for (;;) {
          try {
            writeFileSync(path.join(filler, String(n)), '');
            n += 1;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
        rmSync(path.join(filler, String(n - 1)));
        expect(
          statfsSync(ext4.mountPoint).bavail * statfsSync(ext4.mountPoint).bsize,
        ).toBeGreaterThan(10 * MiB);
        // The temp file takes the last inode; the new blob's shard directory finds none.
        // Node's recursive mkdir called that ENOENT: a 500 for a full disk.
        const err = await engine.putObject('inodes', 'big', patternBytes(300_000, 1)).then(
          () => undefined,
          (e: unknown) => e as StowageError,
        );
        expect(err?.code).toBe('E_STORAGE_FULL');
        expect(err?.message).toContain('no free inodes');
        expect(readdirSync(path.join(dataDir, 'tmp'))).toEqual([]);
        expect(() => engine.headObject('inodes', 'big')).toThrow();
        // Inodes given back: the write goes through without a restart.
        rmSync(filler, { recursive: true });
        await engine.putObject('inodes', 'big', patternBytes(300_000, 1));
        expect((await readAll(engine.getObject('inodes', 'big').body)).length).toBe(300_000);
      } finally {
        await engine.close();
      }
    } finally {
      ext4.unmount();
    }
  });
});
