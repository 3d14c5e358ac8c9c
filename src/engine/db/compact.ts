/**
 * Gives the free pages of the metadata database back to the file system. SQLite reuses the
 * pages that deleted rows leave (small objects are kept inline in it) but never shrinks
 * its file by itself, so their space serves new small objects and metadata only; VACUUM
 * rewrites the file without them, and a truncating checkpoint empties the write-ahead log.
 */
import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { sqliteTempDir } from '../../config/sqlite-temp-dir.js';
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

function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Compacts the database at `file` (open as `db`, nothing else writing to it). It needs
 * free space about the size of the database's live data twice: in SQLite's temporary
 * directory for the copy it builds, and beside the database for the write-ahead log that
 * copies it back. Without it, it fails with E_STORAGE_FULL naming both places, and the
 * database is as it was.
 */
export function compactDatabase(db: Database, file: string): CompactReport {
  const beforeBytes = bytesOf(file);
  // Read before: a failed VACUUM's write-ahead log holds the last free bytes until it is
  // rolled back, and the message would say 0 bytes were free beside the database.
  const tempDir = sqliteTempDir();
  const [dataFree, tempFree] = [freeBytes(path.dirname(file)), freeBytes(tempDir)];
  try {
    // A database made before new ones were set to auto_vacuum = INCREMENTAL takes it here, so
    // that their free pages can later be given back without stopping the server.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    const e = toStowageError(err, 'compact the metadata database');
    if (e.code !== 'E_STORAGE_FULL') throw e;
    throw new StowageError(
      'E_STORAGE_FULL',
      `compacting the metadata database (${beforeBytes} bytes) needs free space about the size of the data it holds in SQLite's temporary directory ${tempDir} (${tempFree ?? '?'} bytes free; set SQLITE_TMPDIR to use another) and again beside the database (${dataFree ?? '?'} bytes free); nothing was changed`,
      {
        cause: err,
        details: {
          databaseBytes: beforeBytes,
          tempDir,
          tempFreeBytes: tempFree,
          dataFreeBytes: dataFree,
        },
      },
    );
  }
  return { beforeBytes, afterBytes: bytesOf(file) };
}
