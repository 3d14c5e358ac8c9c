/**
 * Opens the metadata database: WAL mode so readers never block the writer, full
 * synchronous commits when fsync is on (a committed object survives power loss), and
 * foreign keys on.
 */
import Database from 'better-sqlite3';
import { StowageError, toStowageError } from '../../errors.js';
import { migrate } from './migrations.js';

/** Options of openDatabase. */
export interface OpenDatabaseOptions {
  /** fsync every commit (synchronous=FULL) or leave it to the OS (NORMAL). */
  fsync: boolean;
}

/** Opens (creating if needed) and migrates the SQLite database at `file`. */
export function openDatabase(file: string, options: OpenDatabaseOptions): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw toStowageError(err, `cannot open metadata database ${file}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // A writer waiting on another connection (e.g. `stowage engine check` beside a
    // server) retries for this long instead of failing at once.
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StowageError) throw err;
    throw toStowageError(err, `cannot prepare metadata database ${file}`);
  }
}
