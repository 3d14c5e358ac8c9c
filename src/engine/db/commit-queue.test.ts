import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitQueue, committedBeforeFailure } from './commit-queue.js';
import { WalSync } from './wal-sync.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stowage-queue-'));
  db = new Database(path.join(dir, 'meta.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A WalSync whose fdatasyncs finish only when the test says so. */
function manualSync(): { sync: WalSync; started: number[]; finish: (err?: Error) => void } {
  const pending: Array<(err: Error | null) => void> = [];
  const started: number[] = [];
  const sync = new WalSync(path.join(dir, 'meta.db-wal'), (fd, done) => {
    started.push(fd);
    pending.push(done);
  });
  return { sync, started, finish: (err) => pending.shift()!(err ?? null) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CommitQueue with a WalSync', () => {
  it('acknowledges a batch and unlinks its dropped blobs only after a sync that began after its commit', async () => {
    const { sync, started, finish } = manualSync();
    const dropped: string[][] = [];
    const queue = new CommitQueue(db, (ids) => dropped.push(ids), undefined, sync);
    const acks: string[] = [];
    const first = queue
      .run((tx) => {
        db.prepare('INSERT INTO t VALUES (1)').run();
        tx.dropBlobs(['a']);
        return 'first';
      })
      .then((v) => acks.push(v));
    await tick();
    // Committed (visible) but not acknowledged: the sync has not finished.
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(1);
    expect(started).toHaveLength(1);
    // A batch committed while that sync runs waits for the next one.
    const second = queue
      .run(() => db.prepare('INSERT INTO t VALUES (2)').run() && 'second')
      .then((v) => acks.push(v as string));
    await tick();
    expect(started).toHaveLength(1);
    expect(acks).toEqual([]);
    expect(dropped).toEqual([]);
    finish();
    await first;
    expect(acks).toEqual(['first']);
    expect(dropped).toEqual([['a']]);
    expect(started).toHaveLength(2);
    finish();
    await second;
    expect(acks).toEqual(['first', 'second']);
    await queue.close();
  });

  it('jobs queued while a sync runs wait for it, then commit in one transaction that the next sync covers', async () => {
    const { sync, started, finish } = manualSync();
    const queue = new CommitQueue(db, () => {}, undefined, sync);
    let transactions = 0;
    queue.addBatchHook(() => transactions++);
    const count = () => db.prepare('SELECT COUNT(*) FROM t').pluck().get();
    const first = queue.run(() => db.prepare('INSERT INTO t VALUES (1)').run());
    await tick();
    expect([count(), transactions, started.length]).toEqual([1, 1, 1]);
    const later: Array<Promise<unknown>> = [];
    for (const v of [2, 3, 4]) {
      later.push(queue.run(() => db.prepare('INSERT INTO t VALUES (?)').run(v)));
      await tick();
    }
    // Nothing commits while the sync is in flight.
    expect([count(), transactions, started.length]).toEqual([1, 1, 1]);
    finish();
    await first;
    // Right after it: the three in one transaction, and a sync for them.
    expect([count(), transactions, started.length]).toEqual([4, 2, 2]);
    let acked = 0;
    for (const p of later) void p.then(() => acked++);
    await tick();
    expect(acked).toBe(0);
    finish();
    await Promise.all(later);
    expect(acked).toBe(3);
    await queue.close();
  });

  it('a failed sync fails the committed jobs with its error, marked as committed, and the failed ones with theirs, and drops nothing', async () => {
    const { sync, finish } = manualSync();
    const dropped: string[][] = [];
    const queue = new CommitQueue(db, (ids) => dropped.push(ids), undefined, sync);
    const ok = queue.run((tx) => {
      db.prepare('INSERT INTO t VALUES (1)').run();
      tx.dropBlobs(['a']);
    });
    const bad = queue.run(() => {
      throw new Error('precondition failed');
    });
    const results = Promise.allSettled([ok, bad]);
    await tick();
    finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const [r1, r2] = await results;
    expect(r1).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/fdatasync/) },
    });
    expect(r2).toMatchObject({ status: 'rejected', reason: { message: 'precondition failed' } });
    // The committed job's callers must keep what its rows reference; the failed one's not.
    expect(committedBeforeFailure((r1 as PromiseRejectedResult).reason)).toBe(true);
    expect(committedBeforeFailure((r2 as PromiseRejectedResult).reason)).toBe(false);
    expect(dropped).toEqual([]);
    await queue.close();
  });

  it('syncs the real WAL file with fdatasync', async () => {
    const queue = new CommitQueue(
      db,
      () => undefined,
      undefined,
      new WalSync(path.join(dir, 'meta.db-wal')),
    );
    await expect(
      queue.run(() => db.prepare('INSERT INTO t VALUES (3)').run().changes),
    ).resolves.toBe(1);
    await queue.close();
  });
});
