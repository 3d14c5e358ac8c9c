/**
 * Gives the free pages of the metadata database back to the file system. SQLite reuses the
 * pages that deleted rows leave (small objects are kept inline in it) but never shrinks
 * its file by itself, so their space serves new small objects and metadata only; VACUUM
 * rewrites the file without them, and a truncating checkpoint empties the write-ahead log.
 */
import { statSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { StowageError, toStowageError } from '../../errors.js';

/** Sizes of the database file and its write-ahead log, before and after. */
export interface CompactReport {
  beforeBytes: number;
  afterBytes: number;
}

function bytesOf(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) total += statSync(f, { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

/**
 * Compacts the database at `file` (open as `db`, nothing else writing to it). It needs
 * free space about the size of the database's live data, for the rewritten pages; without
 * it, it fails with E_STORAGE_FULL and the database is as it was.
 */
export function compactDatabase(db: Database, file: string): CompactReport {
  const beforeBytes = bytesOf(file);
  try {
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    const e = toStowageError(err, 'compact the metadata database');
    if (e.code !== 'E_STORAGE_FULL') throw e;
    throw new StowageError(
      'E_STORAGE_FULL',
      'compacting the metadata database needs free space about the size of the data it holds; nothing was changed',
      { cause: err, details: { databaseBytes: beforeBytes } },
    );
  }
  return { beforeBytes, afterBytes: bytesOf(file) };
}
