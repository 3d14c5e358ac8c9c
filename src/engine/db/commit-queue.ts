/**
 * Group commit. Metadata changes are queued and run together in one SQLite transaction
 * per event-loop turn, so a burst of concurrent small writes pays for one WAL fsync
 * instead of one each. Every job runs in its own savepoint: a job that throws is rolled
 * back alone and rejects its caller; the others commit.
 *
 * Jobs run serially inside the transaction, so a job sees every earlier job's effects:
 * checks such as "the bucket still exists" or "If-None-Match: *" are race-free.
 *
 * With a WalSync (fsync on), a batch's callers hear back, and the blob files it dropped
 * are unlinked, only once its WAL frames are on disk (wal-sync.ts); the fdatasync runs on
 * the thread pool. Jobs queued while a sync is in flight wait for it to finish and then
 * commit in one transaction, which the next sync covers: they could not be acknowledged
 * before that sync anyway, and one transaction costs far less than one each. (Under
 * `stowage cp` of 10,000 files of 4 KiB, where the client is the bottleneck, transactions
 * were the largest part of the server's CPU; this took them from 1.48 to 1.6–1.7 jobs each
 * and their total time from 1.7 s to 1.3–1.4 s. Syncs of 0.25 ms leave little to group.)
 */
import type { Database } from 'better-sqlite3';
import { type StowageError, toStowageError } from '../../errors.js';
import type { WalSync } from './wal-sync.js';

/** Errors of jobs whose transaction committed, but whose sync to disk failed. */
const unsynced = new WeakSet<object>();

/**
 * Whether a job failed after its transaction committed (its WAL sync failed): what it
 * wrote is visible, so whatever its rows reference (a new blob) must stay.
 */
export function committedBeforeFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && unsynced.has(err);
}

/** What a job can ask for besides its own SQL. */
export interface CommitContext {
  /** Blobs that stop being referenced once this job commits; removed after the commit. */
  dropBlobs(ids: readonly string[]): void;
}

/** A queued metadata change. */
export type CommitJob<T> = (ctx: CommitContext) => T;

interface Pending {
  job: CommitJob<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  drops: string[];
}

/** Runs metadata jobs in batched transactions. */
export class CommitQueue {
  /** Blobs dropped by commits whose sync failed were kept on disk (see flush). */
  keptDrops = false;
  private pending: Pending[] = [];
  private scheduled = false;
  /** Extra work folded into every batch (e.g. last-access times). */
  private readonly hooks: Array<() => void> = [];
  private halted: StowageError | undefined;

  /**
   * `dropNow` runs inside a job's transaction with the blobs the job dropped and returns
   * those left for `onDrop`, which runs after the commit (files are unlinked then; rows of
   * inline blobs go with the transaction).
   */
  constructor(
    private readonly db: Database,
    private readonly onDrop: (ids: string[]) => void,
    private readonly dropNow: (ids: readonly string[]) => string[] = (ids) => [...ids],
    private readonly durable?: WalSync,
  ) {}

  /**
   * For the engine's close: commits what is queued, waits until every commit is synced and
   * acknowledged, and releases the WAL descriptor (what is written after this is synced
   * by SQLite's own close, which checkpoints).
   */
  async close(): Promise<void> {
    this.flush();
    await this.durable?.drain();
    this.durable?.close();
  }

  /** Queues `job`; resolves with its result once its transaction has committed. */
  run<T>(job: CommitJob<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ job, resolve: resolve as (v: unknown) => void, reject, drops: [] });
      this.schedule();
    });
  }

  /** Adds work that runs at the start of every batch. */
  addBatchHook(hook: () => void): void {
    this.hooks.push(hook);
  }

  /** Makes sure a batch runs soon even when no job is queued (for batch hooks). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.durable?.syncing) this.durable.onSynced(() => this.flush());
    else setImmediate(() => this.flush());
  }

  /** Why writes are stopped (a failed WAL sync, a deleted WAL, a read-only disk), if they are. */
  get writesStopped(): StowageError | undefined {
    return this.durable?.stopped ?? this.halted;
  }

  /** Refuses every later job with `reason` (a fault found by a failed write: write-faults.ts). */
  halt(reason: StowageError): void {
    this.halted ??= reason;
  }

  /** Runs everything queued now. Called by the scheduler and on close. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    // Once no commit can be made durable (wal-sync.ts), none is made: refused before it
    // changes anything, rather than committed, visible, and then lost.
    const stopped = this.writesStopped;
    if (stopped) {
      for (const p of batch) p.reject(stopped);
      return;
    }
    const results: Array<{ ok: boolean; value: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const hook of this.hooks) hook();
        for (const p of batch) {
          const ctx: CommitContext = { dropBlobs: (ids) => p.drops.push(...this.dropNow(ids)) };
          try {
            results.push({ ok: true, value: this.db.transaction(() => p.job(ctx))() });
          } catch (err) {
            // SQLite may roll back the whole transaction by itself (e.g. SQLITE_FULL);
            // then later jobs must not run outside it: fail the batch.
            if (!this.db.inTransaction) throw err;
            p.drops.length = 0;
            results.push({ ok: false, value: err });
          }
        }
      })();
    } catch (err) {
      const e = toStowageError(err, 'commit metadata');
      for (const p of batch) p.reject(e);
      return;
    }
    const settle = (): void =>
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r.ok) {
          if (p.drops.length > 0) this.onDrop(p.drops);
          p.resolve(r.value);
        } else {
          p.reject(r.value);
        }
      });
    if (!this.durable || batch.length === 0) {
      settle();
      return;
    }
    // Every caller hears back after the sync. If it fails, the committed jobs fail with
    // its error, marked as committed (committedBeforeFailure) so that their callers keep
    // what the rows reference, and their dropped blobs stay on disk in case the commit is
    // lost (a later recovery collects them).
    this.durable.after(settle, (err) => {
      if (typeof err === 'object' && err !== null) unsynced.add(err);
      if (batch.some((p) => p.drops.length > 0)) this.keptDrops = true;
      batch.forEach((p, i) => p.reject(results[i]!.ok ? err : results[i]!.value));
    });
  }
}
