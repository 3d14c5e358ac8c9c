/**
 * Durable commits without blocking the event loop. With `synchronous = FULL` SQLite
 * fsyncs the write-ahead log inside every COMMIT, on the main thread: a 1–5 ms stall per
 * batch during which no request is parsed or answered. Instead the database runs with
 * `synchronous = NORMAL` (a commit writes its WAL frames but does not fsync them) and
 * this fsyncs the WAL file on the libuv thread pool after each batch; callers are told
 * their change is committed only once that fsync has finished. That is the guarantee
 * FULL gives (an acknowledged change survives power loss), with the wait off the loop.
 *
 * fsyncs are grouped: one runs at a time, and every commit that finished while it ran is
 * covered by the next one, so a burst of batches pays for at most two.
 * Checkpoints keep their own fsyncs (SQLite syncs the WAL and the database before it
 * reuses the log in NORMAL mode too).
 */
import fsp from 'node:fs/promises';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** fsyncs a SQLite database's `-wal` file on request; see the file comment. */
export class WalSync {
  private handle: fsp.FileHandle | undefined;
  private running: Promise<void> | undefined;
  private waiters: Waiter[] = [];

  /** @param walFile the database's write-ahead log (`<db>-wal`). */
  constructor(private readonly walFile: string) {}

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.running) this.start();
    });
  }

  /** Waits for every requested fsync, then closes the file. */
  async close(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  private start(): void {
    const batch = this.waiters;
    this.waiters = [];
    this.running = this.fsync().then(
      () => batch.forEach((w) => w.resolve()),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
    void this.running.finally(() => {
      this.running = undefined;
      if (this.waiters.length > 0) this.start();
    });
  }

  private async fsync(): Promise<void> {
    // fsync flushes the file (its inode), whichever descriptor wrote the data.
    this.handle ??= await fsp.open(this.walFile, 'r');
    await this.handle.sync();
  }
}
