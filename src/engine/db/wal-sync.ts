/**
 * Durable commits without blocking the event loop. With `synchronous=FULL` SQLite fsyncs
 * the WAL inside every commit, on the main thread: a profile of concurrent 4 KiB PUTs
 * spent 17% of the server's main-thread time waiting there. Instead the database runs
 * `synchronous=NORMAL` (a commit only writes its WAL frames) and this class makes them
 * durable with an fdatasync of the WAL file on the thread pool; the commit queue
 * acknowledges a batch, and unlinks the blob files it dropped, only after a sync that
 * started after the batch committed. Batches that commit while a sync runs share the next
 * one (group commit across batches).
 *
 * The guarantee is the one `synchronous=FULL` gives: an acknowledged write survives power
 * loss. SQLite's own checkpoints still fsync the WAL before copying it and the database
 * after, and the WAL file keeps its inode while the database is open (it is rewound, not
 * replaced), so the descriptor kept here always names the live WAL.
 *
 * A failed sync stops every later one (`stopped`): Linux reports a write-back error once,
 * so the next fdatasync would succeed although frames before it never reached the disk,
 * and SQLite's recovery stops at the first bad frame, taking every later commit with it
 * (a file-system fault probe lost 20 acknowledged PUTs that way). So does a WAL no longer
 * linked into the data directory (deleted under the server): commits to it are lost.
 */
import { closeSync, existsSync, fdatasync, fstatSync, openSync } from 'node:fs';
import { StowageError, toStowageError } from '../../errors.js';

/** What a failed sync's error says it was doing. */
const SYNC_CONTEXT = 'make the metadata commit durable (fdatasync)';

interface Waiter {
  ok: () => void;
  fail: (err: unknown) => void;
}

/** How one sync is done (injectable for tests). */
export type SyncFn = (fd: number, done: (err: Error | null) => void) => void;

/** Group fdatasync of one database's WAL. */
export class WalSync {
  private fd: number | undefined;
  private waiting: Waiter[] = [];
  private running = false;
  private idle: Array<() => void> = [];
  private synced: Array<() => void> = [];
  /** Why no commit can be made durable any more (set once, for good). */
  private stop: StowageError | undefined;

  /**
   * Opens the WAL now, with the database (which made it): opened at the first sync
   * instead, a WAL deleted before then was not seen, and commits went on into the deleted
   * file, acknowledged and lost at the next crash.
   */
  constructor(
    private readonly walPath: string,
    private readonly sync: SyncFn = (fd, done) => fdatasync(fd, done),
  ) {
    try {
      this.fd = openSync(walPath, 'r');
    } catch {
      // Opened (or found missing) at the first sync, as run() says.
    }
  }

  /** Calls `ok` once everything committed before this call is on disk, else `fail`. */
  after(ok: () => void, fail: (err: unknown) => void): void {
    this.waiting.push({ ok, fail });
    if (!this.running) this.run();
  }

  /**
   * Why writes are stopped, once a sync failed or the WAL was found deleted: every later
   * commit would be acknowledged and then lost. Only a restart (recovery) clears it.
   */
  get stopped(): StowageError | undefined {
    return this.stop;
  }

  /** True while an fdatasync is in flight. */
  get syncing(): boolean {
    return this.running;
  }

  /**
   * Runs `fn` once the sync in flight has finished and its waiters were told, before the
   * next sync starts, so what `fn` commits goes into that next sync.
   */
  onSynced(fn: () => void): void {
    this.synced.push(fn);
  }

  /** Resolves once no sync is running or waiting. */
  drain(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Closes the WAL descriptor (after drain, before the database closes). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private run(): void {
    this.running = true;
    const batch = this.waiting;
    this.waiting = [];
    const finish = (err: unknown): void => {
      const failure = err ? toStowageError(err, SYNC_CONTEXT) : undefined;
      if (failure && !this.stop) this.stop = stoppedBy(failure);
      for (const w of batch) {
        if (failure) w.fail(failure);
        else w.ok();
      }
      this.running = false;
      const synced = this.synced;
      this.synced = [];
      for (const fn of synced) fn();
      if (this.waiting.length > 0) {
        this.run();
        return;
      }
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    };
    if (this.stop) {
      finish(this.stop);
      return;
    }
    let fd: number;
    try {
      fd = this.fd ??= openSync(this.walPath, 'r');
    } catch (err) {
      // No WAL file: nothing was committed since the last checkpoint, which SQLite synced;
      // unless the database went with it (the data directory was deleted).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') finish(err);
      else
        finish(existsSync(this.walPath.replace(/-wal$/, '')) ? undefined : walGone(this.walPath));
      return;
    }
    try {
      if (fstatSync(fd).nlink === 0) {
        finish(walGone(this.walPath));
        return;
      }
    } catch (err) {
      finish(err);
      return;
    }
    this.sync(fd, (err) => finish(err ?? undefined));
  }
}

/** The WAL (and so the data directory) is no longer where the server opened it. */
export function walGone(walPath: string): StowageError {
  return new StowageError(
    'E_WRITES_STOPPED',
    `writes are stopped: ${walPath} was deleted while the server had it open, and commits ` +
      'to it would be lost at the next crash. Stop the server with SIGTERM, not kill -9 (a ' +
      'clean stop writes what the deleted log holds into meta.db), and start it again; if ' +
      'the whole data directory was deleted, put it back from a backup (stowage engine backup)',
  );
}

/** The error later commits get once a sync failed (or the WAL was found gone). */
function stoppedBy(cause: StowageError): StowageError {
  if (cause.code === 'E_WRITES_STOPPED') return cause;
  return new StowageError(
    'E_WRITES_STOPPED',
    `writes are stopped: an fdatasync of the metadata log failed (${cause.message}), and a ` +
      'later one could succeed without the lost writes; reads still work. Check the disk ' +
      '(dmesg), then restart the server: recovery keeps every write acknowledged before',
    { cause },
  );
}
