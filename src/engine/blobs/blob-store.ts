/**
 * Object bytes on disk. A blob is a file named by a random id (never by the object key,
 * so no key can reach outside the data directory) under `blobs/<2 hex>/`. Blobs are
 * written under `tmp/`, fsynced and renamed into place before any metadata points at
 * them; a blob no metadata points at is garbage, removed at start-up.
 *
 * Readers take a lease on the blobs they stream; a blob whose object was deleted or
 * overwritten is unlinked only when its last lease ends, so a reader never loses bytes
 * mid-stream.
 *
 * Small bodies are kept in the database instead (see inline-blobs.ts): the methods here
 * take either kind of id.
 */
import { randomHex } from '../../random-bytes.js';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { StowageError, toStowageError } from '../../errors.js';
import { heldDir, removalsHeld } from '../backup/holds.js';
import { DEFAULT_INLINE_MAX_BYTES, isInlineId, type InlineBlobs } from './inline-blobs.js';
import { StreamMemory } from './stream-memory.js';

/** At most this much of the database is given back to the file system at a time. */
const RELEASE_STEP_BYTES = 4 * 1024 * 1024;

/** Options of BlobStore. */
export interface BlobStoreOptions {
  /** fsync files and directories before they count as written. */
  fsync: boolean;
  /**
   * Free space (bytes) that new object bytes must leave on the file system, so that
   * deletes, which need a little room for SQLite's WAL, still work when writes no longer
   * fit. 0 disables the check.
   */
  reserveBytes?: number;
  /** Bodies of at most this many bytes are kept in the database (0: never). */
  inlineMaxBytes?: number;
}

/** Files of one data directory: where blobs and temp files live. */
export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;
  private readonly leases = new Map<string, number>();
  private readonly doomed = new Set<string>();
  private readonly dirSyncs = new Map<string, Promise<void>>();
  /** A blob file could not be removed (see leavesGarbage). */
  private failedRemovals = false;
  /** Removals under way, and the shard directories removals changed since their last fsync. */
  private readonly removing = new Set<Promise<void>>();
  private readonly removedFrom = new Set<string>();
  /** The last free-space reading and the bytes written since (see ensureSpace). */
  private space?: { at: number; free: number; used: number };
  private inline?: InlineBlobs;
  /** The memory streams of object bytes may hold in large batches (stream-memory.ts). */
  readonly readMemory = new StreamMemory();
  /** The same for writes: the bytes an upload has received and not yet written. */
  readonly writeMemory = new StreamMemory();

  constructor(
    dataDir: string,
    private readonly options: BlobStoreOptions,
  ) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
  }

  /**
   * Creates the directories, and checks that this process may write in them: a `tmp/`,
   * `blobs/` or `blobs/xx/` left owned by another user (a restore run as root) would otherwise fail every
   * upload too large to keep inline with an internal error, while the server said ready.
   * Idempotent.
   */
  async init(): Promise<void> {
    await fsp.mkdir(this.tmpDir, { recursive: true });
    await fsp.mkdir(this.blobsDir, { recursive: true });
    await this.refuseSplitFilesystems();
    // …and in every fan-out directory of blobs/ (at most 256): one left to another user
    // fails the uploads and deletes whose blob ids fall in it.
    const shards = (await fsp.readdir(this.blobsDir)).map((d) => path.join(this.blobsDir, d));
    for (const dir of [this.tmpDir, this.blobsDir, ...shards]) {
      await fsp.access(dir, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
    }
  }

  /**
   * tmp/ and blobs/ on another file system than the data directory (a symbolic link, a
   * mount) are refused: a blob is published by renaming it from tmp/ into blobs/ (EXDEV
   * across file systems: every upload over the inline size failed), and the space kept free
   * for deletes is measured under tmp/, so small objects could fill meta.db's file system
   * to the last byte (a fault probe did: deletes failed, and so did the next start).
   */
  private async refuseSplitFilesystems(): Promise<void> {
    const dataDir = path.dirname(this.tmpDir);
    const dev = (await fsp.stat(dataDir)).dev;
    for (const dir of [this.tmpDir, this.blobsDir]) {
      if ((await fsp.stat(dir)).dev === dev) continue;
      throw new StowageError(
        'E_CONFIG_INVALID',
        `cannot use data directory ${dataDir}: its ${path.basename(dir)}/ is on another file ` +
          'system (a symbolic link or a mount). Objects are moved from tmp/ into blobs/ and ' +
          'meta.db beside them must keep room for deletes, so the three must share one file ' +
          'system: put the whole data directory on the disk you meant for the objects',
        { details: { dataDir, directory: dir } },
      );
    }
  }

  get fsync(): boolean {
    return this.options.fsync;
  }

  /** Connects the rows of inline blobs, once the database is open. */
  attachInline(inline: InlineBlobs): void {
    this.inline = inline;
  }

  /** Whether a body of `length` bytes (undefined: not known up front) is kept inline. */
  keepsInline(length: number | undefined): boolean {
    const max = this.options.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES;
    return this.inline !== undefined && length !== undefined && length > 0 && length <= max;
  }

  /** Stores the bytes of an inline blob. Call inside the commit that references it. */
  putInline(id: string, data: Uint8Array): void {
    this.requireInline().put(id, data);
  }

  /** The bytes of an inline blob (E_DATA_CORRUPT when its row is missing). */
  inlineBytes(id: string): Buffer {
    const data = this.requireInline().get(id);
    if (!data) {
      throw new StowageError(
        'E_DATA_CORRUPT',
        'a blob of this object is missing from the database',
      );
    }
    return data;
  }

  /**
   * Deletes the rows of the inline blobs among `ids` (inside the caller's transaction) and
   * returns the file blobs, which are removed after the commit.
   */
  dropInline(ids: readonly string[]): string[] {
    const files = ids.filter((id) => !isInlineId(id));
    if (files.length < ids.length) this.requireInline().delete(ids.filter(isInlineId));
    return files;
  }

  /** Size in bytes of a stored blob, or undefined when it is missing. */
  async sizeOf(id: string): Promise<number | undefined> {
    if (isInlineId(id)) return this.inline?.size(id);
    const stat = await fsp.stat(this.pathOf(id)).catch(() => undefined);
    return stat?.size;
  }

  private requireInline(): InlineBlobs {
    if (!this.inline)
      throw new StowageError('E_INTERNAL', 'inline blobs used before the database was open');
    return this.inline;
  }

  /**
   * Throws E_STORAGE_FULL unless `bytes` more would still leave the reserve free. Without
   * a reserve, a disk filled by objects would also refuse the deletes that could free it.
   *
   * `into` says where the bytes go. Into the database (small objects kept inline, and
   * metadata), they are written twice, to its write-ahead log and then to its file, and
   * the free pages deleted rows left in that file count as room: the file never shrinks,
   * so without them a disk once filled with small objects refused every write after they
   * were all deleted. Into a blob file, only the file system's free space counts, and when
   * it is short, the database gives its free pages back to the file system first.
   */
  async ensureSpace(bytes: number, into: 'database' | 'file' = 'database'): Promise<void> {
    const reserve = this.options.reserveBytes ?? 0;
    if (reserve <= 0) return;
    if (into === 'database') bytes *= 2;
    // statfs costs a thread-pool round trip; while a recent reading leaves a wide margin,
    // count bytes against it instead of asking again.
    const now = performance.now();
    const c = this.space;
    if (c && now - c.at < 1000 && c.free - c.used - bytes > 2 * reserve) {
      c.used += bytes;
      return;
    }
    let free = await this.freeSpace();
    const reusable = into === 'database' ? (this.inline?.freeBytes() ?? 0) : 0;
    if (into === 'file' && free - bytes < reserve) free = await this.makeRoom(bytes, free);
    this.space = { at: now, free, used: bytes };
    if (free + reusable - bytes < reserve) {
      throw new StowageError(
        'E_STORAGE_FULL',
        `the storage device has ${free} bytes free and ${reserve} are kept in reserve; nothing was stored`,
        { details: { freeBytes: free, reserveBytes: reserve } },
      );
    }
  }

  /**
   * Has the database give free pages (left by deleted small objects) back to the file
   * system until `bytes` fit above the reserve with a step to spare, or none are left;
   * returns the free space then. Steps are small (a step blocks the event loop, about
   * 10 ms per MiB, and its bytes pass through the WAL), and free space is read again after
   * each: concurrent writers take some of what is released, and ext4's free space lags
   * behind writes in flight, so releasing exactly what seemed short was not enough.
   */
  private async makeRoom(bytes: number, free: number): Promise<number> {
    const reserve = this.options.reserveBytes ?? 0;
    const step = Math.max(64 * 1024, Math.min(Math.floor(reserve / 2), RELEASE_STEP_BYTES));
    while (this.inline && free - bytes < reserve + step) {
      if (this.inline.releaseFreePages(step) === 0) break;
      free = await this.freeSpace();
    }
    return free;
  }

  /** Bytes free for this process on the data directory's file system. */
  private async freeSpace(): Promise<number> {
    try {
      // The data directory's own: tmp/ and blobs/ share its file system (init), and tmp/
      // may have been removed under the server (openTmp makes it again).
      const s = await fsp.statfs(path.dirname(this.tmpDir));
      return s.bavail * s.bsize;
    } catch (err) {
      throw toStowageError(err, 'check free space');
    }
  }

  /** A fresh random blob id (128 bits, hex). */
  newId(): string {
    return randomHex(16);
  }

  /** A fresh inline blob id (a row of the database; see inline-blobs.ts). */
  newInlineId(): string {
    return this.requireInline().newId();
  }

  /** Final path of a blob. */
  pathOf(id: string): string {
    return path.join(this.blobsDir, id.slice(0, 2), id);
  }

  /**
   * Creates the temp file a blob is written to first. A tmp/ removed under the server is
   * made again (it failed every upload over the inline size until a restart); a data
   * directory removed whole is not.
   */
  async openTmp(id: string): Promise<fsp.FileHandle> {
    try {
      return await fsp.open(this.tmpPathOf(id), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdirOnce(this.tmpDir);
      return fsp.open(this.tmpPathOf(id), 'wx');
    }
  }

  /** Path of the temp file a blob is written to first. */
  tmpPathOf(id: string): string {
    return path.join(this.tmpDir, `${id}.tmp`);
  }

  /**
   * Moves a fully written and fsynced temp file into place and makes the rename durable
   * (fsync of the shard directory) before returning. When the fsync fails, the file that
   * was moved is removed again (or, failing that, left for the next start to collect): no
   * commit will name it.
   */
  async publish(id: string): Promise<void> {
    const dest = this.pathOf(id);
    const dir = path.dirname(dest);
    let newShard = false;
    try {
      await fsp.rename(this.tmpPathOf(id), dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw toStowageError(err, 'publish blob');
      await makeShard(dir).catch((e: unknown) => {
        throw toStowageError(e, 'publish blob');
      });
      await fsp.rename(this.tmpPathOf(id), dest).catch((e: unknown) => {
        throw toStowageError(e, 'publish blob');
      });
      newShard = true;
    }
    if (!this.options.fsync) return;
    try {
      // A new shard directory is durable only once blobs/ itself is synced.
      if (newShard) await this.syncDir(this.blobsDir);
      await this.syncDir(dir);
    } catch (err) {
      await this.unlink(id);
      throw toStowageError(err, 'publish blob');
    }
  }

  /**
   * fsyncs a directory. Concurrent callers for the same directory share the next fsync
   * that starts after their rename, so a burst of small writes costs few syscalls.
   */
  private syncDir(dir: string): Promise<void> {
    const pending = this.dirSyncs.get(dir);
    if (pending) return pending;
    const run = (async () => {
      // Let the other writers of this tick join this fsync.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.dirSyncs.delete(dir);
      const handle = await fsp.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    })();
    this.dirSyncs.set(dir, run);
    return run;
  }

  /** Takes a read lease on blobs. Call the returned function exactly once when done. */
  acquire(ids: readonly string[]): () => void {
    for (const id of ids) this.leases.set(id, (this.leases.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = (this.leases.get(id) ?? 1) - 1;
        if (n > 0) {
          this.leases.set(id, n);
          continue;
        }
        this.leases.delete(id);
        if (this.doomed.delete(id)) void this.unlink(id);
      }
    };
  }

  /**
   * Removes blobs that no metadata references any more. Blobs under a read lease are
   * removed when the lease ends. A failure is remembered (leavesGarbage), so that the next
   * start-up collects what is left.
   */
  remove(ids: readonly string[]): void {
    for (const id of ids) {
      // Inline rows go with their transaction (dropInline), never later.
      if (isInlineId(id)) continue;
      if (this.leases.has(id)) this.doomed.add(id);
      else void this.unlink(id);
    }
  }

  /** Removes a temp file (after a failed or aborted write). */
  async discardTmp(id: string): Promise<void> {
    await fsp.rm(this.tmpPathOf(id), { force: true }).catch(() => undefined);
  }

  private unlink(id: string): Promise<void> {
    const file = this.pathOf(id);
    const run = (async () => {
      if (await removalsHeld(this.tmpDir)) {
        // A backup is copying this data directory (backup/holds.ts): it may still need
        // the file, so it is moved aside rather than deleted.
        const held = heldDir(this.tmpDir);
        await fsp.mkdir(held, { recursive: true });
        await fsp.rename(file, path.join(held, id)).catch(goneUnlessMoved(file));
      } else {
        await fsp.unlink(file).catch(goneUnlessMoved(file));
      }
    })()
      .then(() => void this.removedFrom.add(path.dirname(file)))
      .catch(() => {
        this.failedRemovals = true;
      })
      .finally(() => this.removing.delete(run));
    this.removing.add(run);
    return run;
  }

  /**
   * Waits for the removals under way and fsyncs the directories they changed, so that a
   * clean shutdown recorded afterwards is true after a power cut too: a removal lost with
   * the page cache would bring back a blob file no metadata names, which only the start
   * after an unclean shutdown collects (found by a power-loss probe). False when a sync
   * failed (the next start should then collect).
   */
  async settleRemovals(): Promise<boolean> {
    while (this.removing.size > 0) await Promise.allSettled([...this.removing]);
    if (!this.options.fsync) return true;
    const dirs = [...this.removedFrom];
    this.removedFrom.clear();
    const synced = await Promise.allSettled(dirs.map((d) => this.syncDir(d)));
    return synced.every((r) => r.status === 'fulfilled');
  }

  /**
   * Whether unreferenced blob files may be left on disk: a removal failed, or a blob
   * dropped while being read is still leased. The engine's close then asks the next
   * start to collect them.
   */
  get leavesGarbage(): boolean {
    return this.failedRemovals || this.doomed.size > 0;
  }

  /** Deletes every temp file: they belong to writes that never finished. Returns the count. */
  async cleanTmp(): Promise<number> {
    const names = await fsp.readdir(this.tmpDir);
    await Promise.all(
      names.map((n) => fsp.rm(path.join(this.tmpDir, n), { force: true, recursive: true })),
    );
    return names.length;
  }

  /**
   * Deletes every blob file that `isReferenced` does not claim. Returns the number
   * removed. Used at start-up after an unclean shutdown, and by a backup for the files of
   * its previous snapshot that its new one no longer names.
   */
  async collectGarbage(isReferenced: (id: string) => boolean): Promise<number> {
    let removed = 0;
    for (const shard of await fsp.readdir(this.blobsDir)) {
      const dir = path.join(this.blobsDir, shard);
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (isReferenced(name)) continue;
        await fsp.rm(path.join(dir, name), { force: true, recursive: true });
        removed++;
      }
    }
    if (this.inline) {
      const orphans = [...this.inline.list()].map((b) => b.id).filter((id) => !isReferenced(id));
      this.inline.delete(orphans);
      removed += orphans.length;
    }
    return removed;
  }

  /** Whether any blob file is on disk (inline blobs aside). */
  async holdsFiles(): Promise<boolean> {
    for (const shard of await fsp.readdir(this.blobsDir)) {
      const names = await fsp.readdir(path.join(this.blobsDir, shard)).catch(() => [] as string[]);
      if (names.length > 0) return true;
    }
    return false;
  }

  /** Lists every blob id on disk (for integrity checks). */
  async listIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const shard of await fsp.readdir(this.blobsDir)) {
      const names = await fsp.readdir(path.join(this.blobsDir, shard)).catch(() => [] as string[]);
      ids.push(...names);
    }
    for (const b of this.inline?.list() ?? []) ids.push(b.id);
    return ids;
  }
}

/**
 * Makes one directory in an existing parent; one already there is fine. Not `recursive`:
 * Node 20 reports a file system out of inodes (ENOSPC) there as ENOENT, so a full disk
 * answered 500 instead of 507.
 */
async function mkdirOnce(dir: string): Promise<void> {
  await fsp.mkdir(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
}

/**
 * Makes a shard directory of blobs/ (mkdirOnce); recursively only when blobs/ itself is
 * gone (removed under the server), to make it again.
 */
async function makeShard(dir: string): Promise<void> {
  try {
    await mkdirOnce(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fsp.mkdir(dir, { recursive: true });
  }
}

/**
 * For a removal of `file`: a file already gone is removed, unless its directory is gone
 * too (the data directory moved away meanwhile: the file comes back with it, so the
 * removal failed, and the next start must collect it).
 */
function goneUnlessMoved(file: string): (err: NodeJS.ErrnoException) => Promise<void> {
  return async (err) => {
    if (err.code !== 'ENOENT') throw err;
    await fsp.access(path.dirname(file));
  };
}
