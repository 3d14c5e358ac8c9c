/**
 * Small blobs kept in the metadata database instead of files (as MinIO keeps objects
 * under 128 KiB inside their metadata file). A small PUT then costs one row in the commit
 * batch it already joins: no file to create, fsync, rename and fsync the directory of,
 * and a burst of concurrent small PUTs shares one WAL fsync. The row is inserted and
 * deleted in the same transaction as the version that references it, so an inline blob
 * can never be orphaned or lost by a crash, and readers copy its bytes out when they
 * resolve the version (no lease needed).
 *
 * Inline blob ids are 'i' followed by 32 hex digits; file blob ids are hex only.
 */
import { randomHex } from '../../random-bytes.js';
import type { Database } from 'better-sqlite3';

/** Bodies up to this size are stored inline unless the engine is told otherwise. */
export const DEFAULT_INLINE_MAX_BYTES = 128 * 1024;

/** `PRAGMA auto_vacuum` of a database whose free pages can be released while open. */
const INCREMENTAL = 2;

/** True for the id of an inline blob. */
export function isInlineId(id: string): boolean {
  return id.charCodeAt(0) === 0x69; /* 'i' */
}

/** The rows of inline blobs. All methods are synchronous; writes belong in a transaction. */
export class InlineBlobs {
  private readonly getStmt;
  private readonly sizeStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly freePagesStmt;
  private readonly pageBytes: number;

  constructor(private readonly db: Database) {
    this.freePagesStmt = db.prepare('PRAGMA freelist_count').pluck();
    this.pageBytes = db.pragma('page_size', { simple: true }) as number;
    this.getStmt = db.prepare('SELECT data FROM inline_blobs WHERE id = ?').pluck();
    this.sizeStmt = db.prepare('SELECT length(data) FROM inline_blobs WHERE id = ?').pluck();
    this.putStmt = db.prepare('INSERT INTO inline_blobs (id, data) VALUES (?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM inline_blobs WHERE id = ?');
  }

  /**
   * Bytes of the database file's free pages: room that deleted rows left, which new rows
   * take before the file grows (SQLite never shrinks the file by itself).
   */
  freeBytes(): number {
    return (this.freePagesStmt.get() as number) * this.pageBytes;
  }

  /**
   * Gives up to `maxBytes` of free pages back to the file system while the database is
   * open, in one step; returns the bytes released (0: none were free, or a reader held
   * the checkpoint back, or the step failed and changed nothing). The step moves live
   * pages from the end of the file into free ones (`incremental_vacuum`, which writes the
   * moved pages to the WAL) and checkpoints, which copies them into the file, truncates
   * it, and empties the WAL: so it needs room for `maxBytes` of WAL, and it blocks the
   * event loop for about 10 ms per MiB (measured on ext4), so callers take small steps.
   *
   * Only a database made with `auto_vacuum = INCREMENTAL` (see db/open-database.ts, or
   * one that `stowage engine compact` rewrote) can do this; others release nothing.
   */
  releaseFreePages(maxBytes: number): number {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== INCREMENTAL) return 0;
    const free = this.freePagesStmt.get() as number;
    const pages = Math.min(free, Math.max(1, Math.floor(maxBytes / this.pageBytes)));
    if (pages === 0) return 0;
    try {
      this.db.pragma(`incremental_vacuum(${pages})`);
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      // A reader held the checkpoint back: the file shrinks at a later checkpoint.
      if (r?.busy) return 0;
    } catch {
      return 0;
    }
    return pages * this.pageBytes;
  }

  /** A fresh inline blob id. */
  static newId(): string {
    return `i${randomHex(16)}`;
  }

  /** The bytes of an inline blob, or undefined when there is no such row. */
  get(id: string): Buffer | undefined {
    return this.getStmt.get(id) as Buffer | undefined;
  }

  /** The size of an inline blob, or undefined when there is no such row. */
  size(id: string): number | undefined {
    return this.sizeStmt.get(id) as number | undefined;
  }

  put(id: string, data: Uint8Array): void {
    this.putStmt.run(id, data);
  }

  delete(ids: readonly string[]): void {
    for (const id of ids) this.deleteStmt.run(id);
  }

  /** Ids and sizes of every inline blob (integrity checks and recovery). */
  *list(): IterableIterator<{ id: string; size: number }> {
    for (const row of this.db
      .prepare('SELECT id, length(data) AS size FROM inline_blobs')
      .iterate()) {
      yield row as { id: string; size: number };
    }
  }
}
