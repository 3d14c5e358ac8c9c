/**
 * Small bodies kept in the database (src/engine/blobs/inline-blobs.ts): where they go, that
 * they are read, copied, overwritten and deleted like file blobs, that their rows live and
 * die with their versions' transactions, and that checks and recovery see them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import {
  blobFileIds,
  inlineBlobIds,
  openTestEngine,
  patternBytes,
  readAll,
  streamOf,
} from '../helpers/engine.js';
import { expectError } from '../helpers/expect-error.js';

const KiB = 1024;
const LIMIT = 128 * KiB;
let engine: Engine;
let dir: string;
let close: (() => Promise<void>) | undefined;

async function open(options: Partial<EngineOptions> = {}): Promise<void> {
  ({ engine, dir, close } = await openTestEngine({ fsync: false, ...options }));
  await engine.createBucket('bkt');
}
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Blob files on disk. */
const files = (): string[] => blobFileIds(dir);

/** Runs `fn` on a second connection to the data directory's database. */
function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'meta.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const read = async (key: string, options = {}): Promise<Buffer> =>
  readAll(engine.getObject('bkt', key, options).body);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('where bytes go', () => {
  it('a body up to 128 KiB is one database row and no file; one byte more is a file', async () => {
    await open();
    const small = patternBytes(LIMIT, 1);
    const big = patternBytes(LIMIT + 1, 2);
    await engine.putObject('bkt', 'small', small);
    expect(files()).toEqual([]);
    expect(inlineBlobIds(dir)).toHaveLength(1);
    await engine.putObject('bkt', 'big', big);
    expect(files()).toHaveLength(1);
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect((await read('small')).equals(small)).toBe(true);
    expect((await read('big')).equals(big)).toBe(true);
    expect(engine.headObject('bkt', 'small').sha256).toBe(sha256(small));
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  it('a streamed body goes inline only when its length is declared', async () => {
    await open();
    const body = patternBytes(10 * KiB, 3);
    const chunks = [body.subarray(0, 4000), body.subarray(4000)];
    await engine.putObject('bkt', 'declared', streamOf(...chunks), { contentLength: body.length });
    expect(files()).toEqual([]);
    await engine.putObject('bkt', 'undeclared', streamOf(...chunks));
    expect(files()).toHaveLength(1);
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect((await read('declared')).equals(body)).toBe(true);
    expect((await read('undeclared')).equals(body)).toBe(true);
  });

  it('inlineMaxBytes 0 keeps every body in files', async () => {
    await open({ inlineMaxBytes: 0 });
    await engine.putObject('bkt', 'k', 'tiny');
    expect(files()).toHaveLength(1);
    expect(inlineBlobIds(dir)).toEqual([]);
    expect((await read('k')).toString()).toBe('tiny');
  });

  it('multipart parts are always files, even small ones', async () => {
    await open({ limits: { minPartSizeBytes: 5 * KiB } });
    const up = await engine.createMultipartUpload('bkt', 'mp');
    const p1 = await engine.uploadPart('bkt', 'mp', up.uploadId, 1, patternBytes(5 * KiB, 4));
    const p2 = await engine.uploadPart('bkt', 'mp', up.uploadId, 2, patternBytes(100, 5));
    await engine.completeMultipartUpload('bkt', 'mp', up.uploadId, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 2, etag: p2.etag },
    ]);
    expect(files()).toHaveLength(2);
    expect(inlineBlobIds(dir)).toEqual([]);
    const whole = Buffer.concat([patternBytes(5 * KiB, 4), patternBytes(100, 5)]);
    expect((await read('mp')).equals(whole)).toBe(true);
  });
});

describe('reads', () => {
  it('serves ranges, suffix ranges and partNumber 1', async () => {
    await open();
    const body = patternBytes(50_000, 6);
    await engine.putObject('bkt', 'k', body);
    expect((await read('k', { range: 'bytes=100-199' })).equals(body.subarray(100, 200))).toBe(
      true,
    );
    expect((await read('k', { range: 'bytes=-10' })).equals(body.subarray(-10))).toBe(true);
    expect((await read('k', { partNumber: 1 })).equals(body)).toBe(true);
  });

  it('a read that began before a delete still gets every byte', async () => {
    await open();
    const body = patternBytes(30_000, 7);
    await engine.putObject('bkt', 'k', body);
    const reading = engine.getObject('bkt', 'k');
    await engine.deleteObject('bkt', 'k');
    expect(inlineBlobIds(dir)).toEqual([]);
    expect((await readAll(reading.body)).equals(body)).toBe(true);
  });
});

describe('rows live and die with their versions', () => {
  it('an overwrite and a delete remove the row in their own commit', async () => {
    await open();
    await engine.putObject('bkt', 'k', 'first');
    const [first] = inlineBlobIds(dir);
    await engine.putObject('bkt', 'k', 'second');
    // No delay: the old row went in the overwrite's transaction.
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect(inlineBlobIds(dir)).not.toContain(first);
    await engine.deleteObject('bkt', 'k');
    expect(inlineBlobIds(dir)).toEqual([]);
  });

  it('versions keep their own rows until each version is deleted', async () => {
    await open();
    await engine.putBucketVersioning('bkt', 'Enabled');
    const v1 = await engine.putObject('bkt', 'k', 'one');
    const v2 = await engine.putObject('bkt', 'k', 'two');
    await engine.deleteObject('bkt', 'k'); // a delete marker: both versions stay
    expect(inlineBlobIds(dir)).toHaveLength(2);
    expect((await read('k', { versionId: v1.versionId })).toString()).toBe('one');
    await engine.deleteObject('bkt', 'k', { versionId: v1.versionId });
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect((await read('k', { versionId: v2.versionId })).toString()).toBe('two');
  });

  it('a copy gets its own row, and a failed conditional write leaves none', async () => {
    await open();
    await engine.putObject('bkt', 'src', 'copied bytes');
    await engine.copyObject({ bucket: 'bkt', key: 'src' }, { bucket: 'bkt', key: 'dst' });
    expect(inlineBlobIds(dir)).toHaveLength(2);
    await engine.deleteObject('bkt', 'src');
    expect((await read('dst')).toString()).toBe('copied bytes');
    await expectError(
      engine.putObject('bkt', 'dst', 'not written', { conditions: { ifNoneMatch: '*' } }),
      'E_PRECONDITION_FAILED',
    );
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect((await read('dst')).toString()).toBe('copied bytes');
  });

  it('deleting a bucket-full of keys in one batch removes every row', async () => {
    await open();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => engine.putObject('bkt', `k${i}`, `body ${i}`)),
    );
    expect(inlineBlobIds(dir)).toHaveLength(200);
    const r = await engine.deleteObjects(
      'bkt',
      Array.from({ length: 200 }, (_, i) => ({ key: `k${i}` })),
    );
    expect(r.filter((item) => !item.ok)).toEqual([]);
    expect(inlineBlobIds(dir)).toEqual([]);
  });
});

describe('checks and recovery', () => {
  it('a deep check finds a changed, a missing and an orphan row', async () => {
    await open();
    await engine.putObject('bkt', 'changed', 'original bytes');
    await engine.putObject('bkt', 'missing', 'gone soon');
    const head = engine.headObject('bkt', 'missing');
    expect((await engine.check({ deep: true })).ok).toBe(true);
    withDb((db) => {
      const ids = db.prepare('SELECT id, data FROM inline_rows').all() as Array<{
        id: number;
        data: Buffer;
      }>;
      const changed = ids.find((r) => r.data.toString() === 'original bytes')!;
      const missing = ids.find((r) => r.data.toString() === 'gone soon')!;
      db.prepare('UPDATE inline_rows SET data = ? WHERE id = ?').run(
        Buffer.from('0riginal bytes'),
        changed.id,
      );
      db.prepare('DELETE FROM inline_rows WHERE id = ?').run(missing.id);
      db.prepare('INSERT INTO inline_rows (id, data) VALUES (?, ?)').run(
        1_000_000,
        Buffer.from('never committed'),
      );
    });
    expect(head.size).toBe(9);
    await expectError(read('missing'), 'E_DATA_CORRUPT', /missing from the database/);
    const report = await engine.check({ deep: true });
    expect(report.problems.map((p) => p.kind).sort()).toEqual([
      'checksum',
      'missing-blob',
      'orphan-blob',
    ]);
    expect(report.problems.find((p) => p.kind === 'checksum')?.message).toMatch(/bkt\/changed/);
  });

  it('a check reads rows in batches and misses nothing past the first (1,200 objects)', async () => {
    await open();
    for (let i = 0; i < 1200; i++)
      await engine.putObject('bkt', `k${String(i).padStart(4, '0')}`, `body ${i}`);
    const first = await engine.check({ deep: true });
    expect([first.ok, first.objectsChecked, first.blobsChecked]).toEqual([true, 1200, 1200]);
    withDb((db) => {
      // Damage the bytes of the 1,150th object: in the third batch.
      db.prepare('UPDATE inline_rows SET data = ? WHERE data = ?').run(
        Buffer.from('body 114X'),
        Buffer.from('body 1149'),
      );
    });
    const report = await engine.check({ deep: true });
    expect(report.objectsChecked).toBe(1200);
    expect(report.problems.map((p) => [p.kind, /bkt\/k1149 /.test(p.message)])).toEqual([
      ['checksum', true],
    ]);
  });

  it('rows survive a reopen; an orphan row is removed after an unclean shutdown', async () => {
    await open();
    const body = patternBytes(60_000, 8);
    await engine.putObject('bkt', 'k', body);
    withDb((db) =>
      db
        .prepare('INSERT INTO inline_blobs (id, data) VALUES (?, ?)')
        .run(`i${'f'.repeat(32)}`, Buffer.from('orphan')),
    );
    await engine.close();
    // Mark the directory as not cleanly shut down, as a crash leaves it.
    withDb((db) =>
      db.prepare("UPDATE settings SET value = '0' WHERE name = 'clean_shutdown'").run(),
    );
    engine = await Engine.open({ dataDir: dir, fsync: false });
    expect(engine.recovery).toMatchObject({ uncleanShutdown: true, orphanBlobsRemoved: 1 });
    expect(inlineBlobIds(dir)).toHaveLength(1);
    expect((await read('k')).equals(body)).toBe(true);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });
});

describe('ids', () => {
  /** The blob id of the object at `key` (its only segment). */
  const blobOf = (key: string): string =>
    withDb((db) => {
      const segments = db
        .prepare('SELECT segments FROM versions WHERE key = ? AND is_latest = 1')
        .pluck()
        .get(key) as string;
      return (JSON.parse(segments) as Array<{ b: string }>)[0]!.b;
    });

  it('new rows are numbered on from the largest one, across a reopen', async () => {
    await open();
    await engine.putObject('bkt', 'a', 'first');
    await engine.putObject('bkt', 'b', 'second');
    const [a, b] = [blobOf('a'), blobOf('b')];
    expect([a, b]).toEqual(['j1', 'j2']);
    await engine.deleteObject('bkt', 'a');
    await engine.close();
    engine = await Engine.open({ dataDir: dir, fsync: false });
    await engine.putObject('bkt', 'c', 'third');
    expect(blobOf('c')).toBe('j3');
    expect((await read('b')).toString()).toBe('second');
    expect((await read('c')).toString()).toBe('third');
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });

  it("rows of inline_blobs (ids 'i<hex>', before schema 13) are read, copied, checked and deleted", async () => {
    await open();
    const body = patternBytes(3000, 5);
    await engine.putObject('bkt', 'old', body);
    // Rewrite the object as a database from before schema 13 holds it.
    const legacy = `i${'ab'.repeat(16)}`;
    withDb((db) => {
      const row = Number(blobOf('old').slice(1));
      const data = db.prepare('SELECT data FROM inline_rows WHERE id = ?').pluck().get(row);
      db.prepare('INSERT INTO inline_blobs (id, data) VALUES (?, ?)').run(legacy, data);
      db.prepare('DELETE FROM inline_rows WHERE id = ?').run(row);
      db.prepare('UPDATE versions SET segments = replace(segments, ?, ?) WHERE key = ?').run(
        `"b":"j${row}"`,
        `"b":"${legacy}"`,
        'old',
      );
    });
    expect(blobOf('old')).toBe(legacy);
    expect((await read('old')).equals(body)).toBe(true);
    expect((await read('old', { range: 'bytes=10-19' })).equals(body.subarray(10, 20))).toBe(true);
    await engine.copyObject({ bucket: 'bkt', key: 'old' }, { bucket: 'bkt', key: 'copy' });
    expect((await read('copy')).equals(body)).toBe(true);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
    await engine.deleteObject('bkt', 'old');
    expect(inlineBlobIds(dir)).toEqual([blobOf('copy')]);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
  });
});
