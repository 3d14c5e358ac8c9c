/**
 * The fdatasync that makes a metadata commit durable fails (EIO from a failing disk). The
 * commit is already visible, so the write is reported as failed but what it committed must
 * stay whole: the new version's bytes must not be deleted as those of a failed write, and
 * the version it replaced keeps its bytes on disk in case the commit does not survive.
 *
 * The failure is injected by replacing node:fs's fdatasync for the one call (a real disk
 * cannot be made to fail one fdatasync on demand); everything else is real. The same goes
 * for the directory fsync that makes a blob file's rename durable (last describe).
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import {
  blobFileIds,
  openTestEngine,
  patternBytes,
  readAll,
  storedBlobIds,
} from '../helpers/engine.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const realFdatasync = fs.fdatasync;

/** Makes the next fdatasync of the WAL fail with EIO. */
function failNextWalSync(): void {
  fs.fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    restore();
    let name = '';
    try {
      name = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // not on Linux: fail it anyway
    }
    if (name !== '' && !name.endsWith('-wal')) return realFdatasync(fd, cb);
    setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
}
function restore(): void {
  fs.fdatasync = realFdatasync;
  syncBuiltinESMExports();
}

let engine: Engine;
let dir: string;
let close: () => Promise<void>;
beforeEach(async () => {
  ({ engine, dir, close } = await openTestEngine({ fsync: true }));
  await engine.createBucket('bkt');
});
afterEach(async () => {
  restore();
  await close();
});

describe('a metadata sync that fails', () => {
  it.each([
    ['a blob file', 300_000],
    ['inline', 2_000],
  ])(
    'fails the PUT, but the object it committed stays readable and nothing is lost (%s)',
    async (_, size) => {
      const v1 = patternBytes(size, 1);
      const v2 = patternBytes(size, 2);
      await engine.putObject('bkt', 'k', v1);
      failNextWalSync();
      await expect(engine.putObject('bkt', 'k', v2)).rejects.toThrow(/fdatasync/);
      // The commit is visible: whichever version the key shows must read whole.
      const head = engine.headObject('bkt', 'k');
      const bytes = await readAll(engine.getObject('bkt', 'k').body);
      expect([md5(v1), md5(v2)]).toContain(md5(bytes));
      expect(head.etag).toBe(`"${md5(bytes)}"`);
      const report = await engine.check({ deep: true });
      expect(report.problems.filter((p) => p.kind !== 'orphan-blob')).toEqual([]);
      // No write is taken any more, though the disk answers again: Linux reports a failed
      // write-back once, so the next fdatasync could succeed over WAL frames that never
      // reached the disk, and recovery would lose every commit after them. Refused before
      // it changes anything; reads go on.
      expect(engine.writesStopped?.code).toBe('E_WRITES_STOPPED');
      const blobsBefore = storedBlobIds(dir).length;
      await expect(engine.putObject('bkt', 'k2', v1)).rejects.toMatchObject({
        code: 'E_WRITES_STOPPED',
        message: expect.stringMatching(/fdatasync of the metadata log failed.*restart/),
      });
      await expect(engine.deleteObject('bkt', 'k')).rejects.toMatchObject({
        code: 'E_WRITES_STOPPED',
      });
      expect(() => engine.headObject('bkt', 'k2')).toThrow();
      // The refused PUT's own blob file goes (removed in the background, as for any failure).
      await vi.waitFor(() => expect(storedBlobIds(dir).length).toBe(blobsBefore));
      expect(md5(await readAll(engine.getObject('bkt', 'k').body))).toBe(md5(bytes));
      // A restart (recovery) takes writes again.
      await engine.close();
      engine = await Engine.open({ dataDir: dir });
      expect(engine.recovery.uncleanShutdown).toBe(true);
      await engine.putObject('bkt', 'k2', v1);
      expect(md5(await readAll(engine.getObject('bkt', 'k2').body))).toBe(md5(v1));
      await engine.close();
    },
  );

  it('the replaced version kept on disk is collected at the next start, which recovers as after a crash', async () => {
    await engine.putObject('bkt', 'k', patternBytes(300_000, 1));
    failNextWalSync();
    await expect(engine.putObject('bkt', 'k', patternBytes(300_000, 2))).rejects.toThrow(
      /fdatasync/,
    );
    const kept = await engine.check();
    expect(kept.problems.map((p) => p.kind)).toEqual(['orphan-blob']);
    await engine.close();
    const again = await Engine.open({ dataDir: dir });
    try {
      // Commits may have been lost with the unsynced WAL frames: the close after the failed
      // sync does not mark the directory clean.
      expect(again.recovery).toMatchObject({ uncleanShutdown: true, orphanBlobsRemoved: 1 });
      expect((await again.check({ deep: true })).problems).toEqual([]);
      expect(md5(await readAll(again.getObject('bkt', 'k').body))).toBe(
        md5(patternBytes(300_000, 2)),
      );
    } finally {
      await again.close();
    }
  });

  it('a blob file whose removal failed (EBUSY) is collected at the next start after a clean close', async () => {
    await engine.putObject('bkt', 'gone', patternBytes(300_000, 3));
    const realUnlink = fs.promises.unlink;
    fs.promises.unlink = (async () => {
      throw Object.assign(new Error('EBUSY: resource busy or locked, unlink'), { code: 'EBUSY' });
    }) as typeof fs.promises.unlink;
    try {
      await engine.deleteObject('bkt', 'gone');
      await new Promise((done) => setTimeout(done, 50));
    } finally {
      fs.promises.unlink = realUnlink;
    }
    expect((await engine.check()).problems.map((p) => p.kind)).toEqual(['orphan-blob']);
    await engine.close();
    const again = await Engine.open({ dataDir: dir });
    try {
      expect(again.recovery).toMatchObject({ uncleanShutdown: false, orphanBlobsRemoved: 1 });
      expect((await again.check()).problems).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('a directory sync that fails after the blob was moved into blobs/', () => {
  /** Every open of a directory under blobs/ (to fsync it) fails with EIO, until undone. */
  function failBlobDirOpens(): () => void {
    const realOpen = fs.promises.open;
    const blobs = path.join(dir, 'blobs');
    fs.promises.open = (async (file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).startsWith(blobs) && fs.statSync(file).isDirectory()) {
        throw Object.assign(new Error(`EIO: i/o error, open '${String(file)}'`), { code: 'EIO' });
      }
      return (realOpen as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    }) as typeof fs.promises.open;
    return () => {
      fs.promises.open = realOpen;
    };
  }

  it('fails the PUT and leaves no blob file behind, for every writer that shared the sync', async () => {
    const undo = failBlobDirOpens();
    try {
      const puts = [1, 2, 3].map((n) => engine.putObject('bkt', `k${n}`, patternBytes(300_000, n)));
      for (const r of await Promise.allSettled(puts)) {
        expect(r.status).toBe('rejected');
        expect(String((r as PromiseRejectedResult).reason)).toMatch(/EIO/);
      }
    } finally {
      undo();
    }
    await new Promise((done) => setTimeout(done, 50));
    expect(blobFileIds(dir)).toEqual([]);
    expect((await engine.check({ deep: true })).problems).toEqual([]);
    // Writes go on once the disk answers again.
    await engine.putObject('bkt', 'k1', patternBytes(300_000, 1));
    expect(blobFileIds(dir)).toHaveLength(1);
  });
});
