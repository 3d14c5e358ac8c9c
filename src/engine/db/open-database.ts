/**
 * Opens the metadata database: WAL mode so readers never block the writer,
 * `synchronous=NORMAL` (commits write the WAL without fsync; the engine makes them
 * durable itself with a WalSync when fsync is on), and foreign keys on.
 */
import Database from 'better-sqlite3';
import { isDamagedDatabaseCode, StowageError, toStowageError } from '../../errors.js';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed) and migrates the SQLite database at `file`. With `verify`,
 * SQLite's `quick_check` runs first (a read of every page: 55 ms for 94 MB here), and a
 * damaged database is refused before anything writes to it.
 */
export function openDatabase(file: string, { verify = false } = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw toStowageError(err, `cannot open metadata database ${file}`);
  }
  try {
    // A new database can give the pages that deleted rows (small objects) leave back to
    // the file system while it is open (InlineBlobs.releaseFreePages); the mode is fixed
    // once the first table exists, so older ones change it only when compacted.
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // Checkpoints still sync; the caller syncs the WAL after commits (wal-sync.ts) or
    // accepts losing the latest commits on power loss (fsync off).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // SQLite's own default page cache (2 MB). better-sqlite3 builds with 16 MB, which the
    // pages of small objects kept inline (blobs/inline-blobs.ts) soon fill: 14 MB more RSS
    // for a server with a 200 MB budget, while the OS page cache serves those reads anyway
    // (no difference in 4 KiB PUT/GET throughput measured).
    db.pragma('cache_size = -2000');
    // A writer waiting on another connection (e.g. `stowage engine check` beside a
    // server) retries for this long instead of failing at once.
    db.pragma('busy_timeout = 5000');
    if (verify) verifyDatabase(db, file);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StowageError) throw err;
    // Damage SQLite stops at before quick_check can report it (a page of the schema itself).
    const code = (err as { code?: unknown }).code;
    if (verify && typeof code === 'string' && isDamagedDatabaseCode(code)) {
      throw damaged(file, `SQLite could not read it: ${(err as Error).message}`, err);
    }
    throw toStowageError(err, `cannot prepare metadata database ${file}`);
  }
}

/** Problems named in the refusal at most. */
const SHOWN_PROBLEMS = 3;

/**
 * The problems SQLite's `quick_check` or `integrity_check` finds, one per entry (none: the
 * database is whole). SQLite gives one row per problem, or one row of lines under a
 * "*** in database main ***" heading.
 */
export function databaseProblems(
  db: Database.Database,
  check: 'quick_check' | 'integrity_check',
): string[] {
  return (db.pragma(check) as Array<Record<string, string>>)
    .flatMap((r) => r[check]!.split('\n'))
    .filter((line) => line !== 'ok' && line !== '' && !line.startsWith('***'));
}

function verifyDatabase(db: Database.Database, file: string): void {
  const problems = databaseProblems(db, 'quick_check');
  if (problems.length === 0) return;
  throw damaged(
    file,
    `SQLite's quick_check found ${problems.length >= 100 ? '100 or more' : problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.slice(0, SHOWN_PROBLEMS).join('; ')}`,
  );
}

/** The refusal of a damaged database at start, with what to do. */
function damaged(file: string, found: string, cause?: unknown): StowageError {
  return new StowageError(
    'E_DATA_CORRUPT',
    `the metadata database ${file} is damaged (${found}); nothing was changed. Keep a copy of the data directory as it is, then put a backup made with stowage engine backup in its place (docs/engine.md, "A damaged metadata database")`,
    { details: { database: true }, ...(cause !== undefined ? { cause } : {}) },
  );
}
