/**
 * One process per data directory. Two engines on one directory would each think it owns
 * the blobs, so the first holds an exclusive SQLite lock on `LOCK.db` (a POSIX record lock
 * underneath) for as long as it runs; any other engine, in this process or another, is
 * refused. The kernel drops the lock when its holder exits, however it exits, so a crashed
 * owner leaves nothing to take over: no stale-pid check, and no window in which two
 * processes starting at once could both decide a lock was stale and both take it.
 * `LOCK` holds the owner's pid for people and for the refusal message.
 *
 * Builds of Stowage before 2026-12-03 locked with the `LOCK` pid file alone. One of them
 * still running (an upgrade started before the old service stopped) holds no `LOCK.db`
 * lock, so `LOCK` is also read: a live process it names that has this directory's
 * `meta.db` open is such an owner, and the directory is refused (see usesDataDir for what
 * counts; a pid another program reused after a crash does not keep anyone out).
 */
import Database from 'better-sqlite3';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isDamagedDatabaseCode, StowageError, toStowageError } from '../errors.js';

/** Takes the data directory lock; returns a function that releases it. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  try {
    return await takeLock(dataDir);
  } catch (err) {
    // Without a journal, a write cut short (a kill or power cut during the very first
    // start) can leave LOCK.db unreadable. It is not made again here: servers starting at
    // once could each delete the file another had just locked, and both run. The
    // operator, who knows whether a Stowage process uses the directory, deletes it.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === undefined || !isDamagedDatabaseCode(code)) throw err;
    const lockDb = path.join(dataDir, 'LOCK.db');
    throw new StowageError(
      'E_CONFIG_INVALID',
      `${lockDb} is damaged (a start was cut short while creating it): if no Stowage process uses ${dataDir}, delete ${lockDb} and start again; it holds nothing but the lock`,
      { cause: err, details: { dataDir } },
    );
  }
}

async function ownerPid(pidFile: string): Promise<number | undefined> {
  const owner = Number((await fsp.readFile(pidFile, 'utf8').catch(() => '')).trim());
  return Number.isInteger(owner) && owner > 0 ? owner : undefined;
}

/**
 * Whether process `pid` is a Node process that has `dataDir`'s metadata database open, as
 * a Stowage that locked with `LOCK` alone does while it runs (Linux: /proc). The file is
 * compared by device and inode, so another path to it (a bind mount) is the same file; a
 * thread id, or a program that is no Node process (sqlite3, a backup tool) is no owner.
 * False when it cannot be told: the process is gone, not ours to look at, or in another
 * pid namespace (a container), where the pid means another process.
 */
async function usesDataDir(pid: number, dataDir: string): Promise<boolean> {
  const proc = `/proc/${pid}`;
  const metaDb = await fsp.stat(path.join(dataDir, 'meta.db')).catch(() => undefined);
  if (!metaDb) return false;
  const status = await fsp.readFile(`${proc}/status`, 'utf8').catch(() => '');
  if (/^Tgid:\s*(\d+)$/m.exec(status)?.[1] !== String(pid)) return false;
  const exe = await fsp.readlink(`${proc}/exe`).catch(() => '');
  if (!/^node/.test(path.basename(exe))) return false;
  const fds = await fsp.readdir(`${proc}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const file = await fsp.stat(`${proc}/fd/${fd}`).catch(() => undefined);
    if (file && file.dev === metaDb.dev && file.ino === metaDb.ino) return true;
  }
  return false;
}

async function takeLock(dataDir: string): Promise<() => Promise<void>> {
  const pidFile = path.join(dataDir, 'LOCK');
  let db: Database.Database | undefined;
  try {
    // timeout 0: refuse at once instead of waiting for the holder to go away.
    db = new Database(path.join(dataDir, 'LOCK.db'), { timeout: 0 });
    db.pragma('journal_mode = MEMORY'); // no journal file beside it
    db.pragma('locking_mode = EXCLUSIVE');
    // A committed write leaves the exclusive lock held (locking_mode) until close.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER)');
    db.exec('DELETE FROM owner');
    db.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (err) {
    db?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      const owner = await ownerPid(pidFile);
      throw new StowageError(
        'E_DATA_DIR_LOCKED',
        `the data directory ${dataDir} is in use by another Stowage process (${owner ? `pid ${owner}` : 'pid unknown'})`,
        { details: { dataDir, pid: owner } },
      );
    }
    throw toStowageError(err, `lock ${dataDir}`);
  }
  const held = db;
  const previous = await ownerPid(pidFile);
  if (
    previous !== undefined &&
    previous !== process.pid &&
    (await usesDataDir(previous, dataDir))
  ) {
    held.close();
    throw new StowageError(
      'E_DATA_DIR_LOCKED',
      `the data directory ${dataDir} is in use by another Stowage process (pid ${previous}, a Stowage from before 2026-12-03, which locks it with ${pidFile} only): stop it first (if pid ${previous} is no Stowage, delete ${pidFile})`,
      { details: { dataDir, pid: previous } },
    );
  }
  try {
    await fsp.writeFile(pidFile, String(process.pid));
  } catch (err) {
    held.close();
    throw toStowageError(err, `lock ${dataDir}`);
  }
  return async () => {
    try {
      await fsp.rm(pidFile, { force: true });
    } catch {
      // A file system gone read-only (EROFS) or failing (EIO): the lock itself is released
      // below, and a pid file naming an exited process is stale to the next start. A stop
      // that ended with an error for this was taken for a failed one (exit 1).
    } finally {
      held.close();
    }
  };
}
