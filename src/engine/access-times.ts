/**
 * Last-access times of versions (S3 Intelligent-Tiering moves objects by them). A read
 * only records the time in memory; the times are written by the next commit batch, and a
 * batch is asked for at most once a second. Before, every read scheduled a batch of its
 * own: a burst of GETs paid one WAL fsync per event-loop turn on the main thread. Tiering
 * counts in days, so a crash losing the last second of access times changes nothing.
 */
import type { Database } from 'better-sqlite3';

/** How long a recorded access may wait for a commit batch. */
const FLUSH_AFTER_MS = 1000;

/** Access times waiting to be written. */
export class AccessTimes {
  private readonly pending = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    /** Asks the commit queue for a batch (its hooks call write()). */
    private readonly scheduleBatch: () => void,
  ) {}

  /** Records a read of version row `rowId` at `at` (ms). */
  record(rowId: number, at: number): void {
    this.pending.set(rowId, at);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.scheduleBatch();
    }, FLUSH_AFTER_MS);
    this.timer.unref();
  }

  /** Writes the recorded times; runs inside a commit batch (or at close). */
  write(): void {
    if (this.pending.size === 0) return;
    const stmt = this.db.prepare('UPDATE versions SET accessed_at = ? WHERE id = ?');
    for (const [id, at] of this.pending) stmt.run(at, id);
    this.pending.clear();
  }

  /** Stops the timer (the engine is closing; it writes what is left itself). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
