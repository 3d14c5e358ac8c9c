import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitQueue } from './commit-queue.js';
import { WalSync } from './wal-sync.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stowage-queue-'));
  db = new Database(path.join(dir, 'q.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (v INTEGER)');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A durability step the test releases by hand. */
function gate(): { sync(): Promise<void>; calls: number; open(err?: Error): void } {
  const waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  return {
    calls: 0,
    sync() {
      this.calls++;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    open(err?: Error) {
      for (const w of waiting.splice(0)) {
        if (err) w.reject(err);
        else w.resolve();
      }
    },
  };
}

describe('CommitQueue with a durability step', () => {
  it('answers a job only after the batch is durable, and drops blobs only then', async () => {
    const durable = gate();
    const dropped: string[][] = [];
    const queue = new CommitQueue(db, (ids) => dropped.push(ids), durable);
    let done = false;
    const job = queue.run((ctx) => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      ctx.dropBlobs(['old']);
      return 'ok';
    });
    void job.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    // Committed (another reader sees it) but not yet acknowledged.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    expect(durable.calls).toBe(1);
    expect(done).toBe(false);
    expect(dropped).toEqual([]);
    durable.open();
    expect(await job).toBe('ok');
    expect(dropped).toEqual([['old']]);
    await queue.settled();
  });

  it('a failed durability step fails every job of the batch and drops nothing', async () => {
    const durable = gate();
    const dropped: string[][] = [];
    const queue = new CommitQueue(db, (ids) => dropped.push(ids), durable);
    const a = queue.run((ctx) => ctx.dropBlobs(['a']));
    const b = queue.run(() => 2);
    await new Promise((r) => setTimeout(r, 20));
    durable.open(new Error('EIO: fsync failed'));
    await expect(a).rejects.toMatchObject({ code: 'E_INTERNAL' });
    await expect(b).rejects.toThrow(/make metadata durable/);
    expect(dropped).toEqual([]);
  });

  it('a job that throws is rejected at once, without waiting for durability', async () => {
    const durable = gate();
    const queue = new CommitQueue(db, () => undefined, durable);
    const bad = queue.run(() => {
      throw new Error('nope');
    });
    await expect(bad).rejects.toThrow(/nope/);
    expect(durable.calls).toBe(0);
  });
});

describe('WalSync', () => {
  it('fsyncs the real WAL file; requests made during a sync are covered by one more', async () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    const wal = path.join(dir, 'q.db-wal');
    expect(existsSync(wal)).toBe(true);
    const sync = new WalSync(wal);
    const all = await Promise.all([sync.sync(), sync.sync(), sync.sync()]);
    expect(all).toEqual([undefined, undefined, undefined]);
    await sync.close();
  });

  it('a missing WAL file fails the sync with the path named', async () => {
    const sync = new WalSync(path.join(dir, 'nope.db-wal'));
    await expect(sync.sync()).rejects.toThrow(/nope\.db-wal/);
    await sync.close();
  });
});
