/**
 * What Engine.open says when a data directory cannot be set up (no space, no permission,
 * a failing disk), and the free space it keeps in reserve by default.
 */
import { accessSync, constants as fsConstants, promises as fsp, statfsSync } from 'node:fs';
import { databaseFile } from '../data-dir.js';
import { isDamagedDatabaseCode, StowageError, toStowageError } from '../errors.js';
import { FAILING_DISK_ADVICE, unreadableDatabase } from './db/unreadable.js';

/** Errors of the file system or SQLite that mean the data directory cannot be used as set up. */
const SETUP_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way',
  SQLITE_CANTOPEN: 'the metadata database cannot be opened',
  SQLITE_READONLY: 'the metadata database is read-only',
};

/**
 * What Engine.open reports: a data directory this process may not use (permissions, a
 * read-only mount, a file where a directory should be) is a setup problem the admin fixes
 * (E_CONFIG_INVALID, exit 2) named with its cause, not an internal error.
 */
export function setupError(err: unknown, dataDir: string): StowageError {
  // openDatabase already wrapped SQLite's error as internal: look at what it wrapped.
  const inner = err instanceof StowageError && err.code === 'E_INTERNAL' ? err.cause : err;
  const code = (inner as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && lacksSpace(code, dataDir)) {
    return new StowageError(
      'E_STORAGE_FULL',
      `cannot set up data directory ${dataDir}: its file system is full (${code}: ${(inner as Error).message})`,
      { cause: inner, details: { dataDir } },
    );
  }
  // SQLite calls a page the disk cannot read damage: say which it is.
  const damage =
    (err instanceof StowageError && err.code === 'E_DATA_CORRUPT' && err.details.database) ||
    (typeof code === 'string' && (isDamagedDatabaseCode(code) || code.startsWith('SQLITE_IOERR')));
  const disk = damage ? unreadableDatabase(dataDir) : undefined;
  if (disk) {
    return new StowageError(
      'E_DATA_CORRUPT',
      `cannot open data directory ${dataDir}: ${disk}; nothing was changed. ${FAILING_DISK_ADVICE}`,
      { cause: err, details: { dataDir, database: true } },
    );
  }
  let cause = typeof code === 'string' ? SETUP_CODES[code] : undefined;
  if (cause === undefined) return toStowageError(err, `cannot open data directory ${dataDir}`);
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') {
    // SQLite leaves its -shm file with the database file's mode: once meta.db is made
    // writable again, a read-only meta.db-shm still refuses every start. Say which.
    const stuck = unwritableDatabaseFiles(dataDir);
    if (stuck.length > 0) cause += ` (not writable by this process: ${stuck.join(', ')})`;
  }
  return new StowageError(
    'E_CONFIG_INVALID',
    `cannot use data directory ${dataDir}: ${cause} (${String(code)}: ${(inner as Error).message}); ` +
      'the server needs to create, read and write files there: check its owner, mode and mount',
    { cause: inner, details: { dataDir } },
  );
}

/** The files of the metadata database (with its -wal and -shm) this process cannot write. */
function unwritableDatabaseFiles(dataDir: string): string[] {
  const db = databaseFile(dataDir);
  return [db, `${db}-wal`, `${db}-shm`].filter((file) => {
    try {
      accessSync(file, fsConstants.W_OK);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
}

/**
 * Whether a setup failure is for want of space: said so (ENOSPC, SQLITE_FULL), or a SQLite
 * I/O error (as when the WAL index cannot grow) on a file system with under 1 MiB free.
 */
function lacksSpace(code: string, dataDir: string): boolean {
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') return true;
  if (!code.startsWith('SQLITE_IOERR')) return false;
  try {
    const s = statfsSync(dataDir);
    return s.bavail * s.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/**
 * Default reserve: 2% of the file system, capped at 64 MiB, and at least 8 MiB (but no more
 * than a quarter of a small file system). The floor is SQLite's: the bytes of small
 * objects go into its WAL, which grows by up to 4 MiB (1,000 pages) before a checkpoint
 * copies them into the database file, which then grows by as much. The reserve is checked
 * against the object's own bytes only, so on a file system of a few hundred MiB, 2% let
 * small uploads take the last free bytes and a delete could no longer commit.
 */
export async function defaultReserveBytes(dataDir: string): Promise<number> {
  const s = await fsp.statfs(dataDir);
  const size = s.blocks * s.bsize;
  const floor = Math.min(8 * 1024 * 1024, Math.floor(size / 4));
  return Math.min(64 * 1024 * 1024, Math.max(floor, Math.floor(size * 0.02)));
}
