/**
 * A consistent copy of a data directory's metadata database, taken while a server may be
 * writing to it: SQLite's `VACUUM INTO` reads one snapshot (a read transaction, which in
 * WAL mode never waits for the writer nor holds it up) and writes it, compacted, to a new
 * file. The blob ids the backup needs are read from that copy, so they are those of the
 * same snapshot.
 */
import Database from 'better-sqlite3';
import { promises as fsp } from 'node:fs';
import { isDamagedDatabaseCode, StowageError, toStowageError } from '../../errors.js';
import { isInlineId } from '../blobs/inline-blobs.js';
import { migrate } from '../db/migrations.js';
import { databaseProblems } from '../db/open-database.js';
import { referencedBlobIds, setCleanFlag } from '../recovery.js';

/** What one snapshot holds. */
export interface Snapshot {
  /** Blob files (not inline blobs) that versions and parts of the snapshot reference. */
  blobIds: Set<string>;
  /** Versions in the snapshot, delete markers included. */
  versions: number;
}

/**
 * Writes a snapshot of `sourceDb` to `copyFile` (which must not exist) and reads it.
 *
 * @throws StowageError `E_DATA_CORRUPT` when the source database is damaged;
 *   `E_CONFIG_INVALID` when a newer Stowage wrote it.
 */
export async function takeSnapshot(sourceDb: string, copyFile: string): Promise<Snapshot> {
  let source: Database.Database | undefined;
  try {
    // Only reads (VACUUM INTO writes the other file). A busy writer may hold the lock a
    // reader needs to start for a moment: wait for it, as the server's connections do.
    source = new Database(sourceDb, { fileMustExist: true, timeout: 5000 });
    source.prepare('VACUUM INTO ?').run(copyFile);
  } catch (err) {
    await fsp.rm(copyFile, { force: true });
    throw damagedOr(err, `cannot copy the metadata database ${sourceDb}`);
  } finally {
    source?.close();
  }
  let copy: Database.Database | undefined;
  try {
    copy = new Database(copyFile, { fileMustExist: true });
    // journal_mode stays as the source's (WAL), so that the copy opens as any data
    // directory's database does; an older schema is brought up to date here, in the copy.
    // quick_check at a server's start misses an index out of step with its table; the
    // copy (just written, so read from the page cache) gets the full check, and a
    // damaged source is refused rather than copied over a good backup.
    const problems = databaseProblems(copy, 'integrity_check');
    if (problems.length > 0) {
      throw new StowageError(
        'E_DATA_CORRUPT',
        `cannot copy the metadata database ${sourceDb}: it is damaged (SQLite's integrity_check: ${problems.slice(0, 3).join('; ')}); nothing was backed up. Run stowage engine check on the data directory`,
        { details: { database: true } },
      );
    }
    migrate(copy);
    // A served backup runs the recovery of an unclean shutdown at its first start, which
    // collects blob files a later backup cut short left in it (nothing else would).
    setCleanFlag(copy, false);
    const ids = referencedBlobIds(copy);
    for (const id of ids) if (isInlineId(id)) ids.delete(id);
    const { n } = copy.prepare('SELECT COUNT(*) AS n FROM versions').get() as { n: number };
    return { blobIds: ids, versions: n };
  } catch (err) {
    copy?.close();
    copy = undefined;
    await fsp.rm(copyFile, { force: true });
    if (err instanceof StowageError) throw err;
    throw damagedOr(err, `cannot read the copy of the metadata database ${copyFile}`);
  } finally {
    copy?.close();
  }
}

function damagedOr(err: unknown, context: string): StowageError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && isDamagedDatabaseCode(code)) {
    return new StowageError(
      'E_DATA_CORRUPT',
      `${context}: it is damaged (${(err as Error).message}); nothing was backed up. Run stowage engine check on the data directory`,
      { cause: err },
    );
  }
  return toStowageError(err, context);
}
