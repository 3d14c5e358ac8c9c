/**
 * Faults after which no write may be made, found from a write that failed: the data
 * directory's file system turned read-only (Linux remounts ext4 read-only after an I/O
 * error, `errors=remount-ro`), or the metadata log was deleted under the engine. Each
 * write then failed alone with a 500 (`disk I/O error`, `EROFS`) while `/health/ready`
 * said ok; now the engine stops writes as after a failed sync of the log (wal-sync.ts).
 * A write that failed for a passing reason (a full disk) stops nothing.
 */
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { databaseFile } from '../../data-dir.js';
import { StowageError } from '../../errors.js';
import { walGone } from './wal-sync.js';

/** The first system or SQLite error code in `err`'s chain of causes. */
function systemCode(err: unknown): string | undefined {
  let e = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('E_')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Why writes must stop, when `err` (a failed write) came of a read-only data directory or
 * a deleted metadata log; undefined for any other failure.
 */
export function writeFault(err: unknown, dataDir: string): StowageError | undefined {
  const code = systemCode(err);
  if (
    code === undefined ||
    !(code === 'EROFS' || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY'))
  ) {
    return undefined;
  }
  // access(2) does not see ext4's emergency read-only state (only its own writes fail
  // with EROFS): a file is made, in tmp/, whose leftovers a recovery removes.
  const probe = path.join(dataDir, 'tmp', `write-check-${process.pid}.tmp`);
  try {
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (write) {
    if ((write as NodeJS.ErrnoException).code === 'EROFS') return readOnly(dataDir);
  }
  // SQLite keeps the log file while the database is open; only a deletion removes it.
  const wal = `${databaseFile(dataDir)}-wal`;
  return existsSync(wal) ? undefined : walGone(wal);
}

function readOnly(dataDir: string): StowageError {
  return new StowageError(
    'E_WRITES_STOPPED',
    `writes are stopped: the file system of ${dataDir} is read-only (Linux remounts a file ` +
      'system read-only after an I/O error: see dmesg); reads still work. Check the disk, ' +
      'make the file system writable again (fsck, mount), then restart the server',
  );
}
