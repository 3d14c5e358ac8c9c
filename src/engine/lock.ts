/**
 * One process per data directory. Two engines on one directory would each think it owns
 * the blobs: a lock file holding the owner's pid keeps the second one out. A lock whose
 * pid is gone (the owner crashed or was killed) is taken over.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { StowageError, toStowageError } from '../errors.js';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory lock; returns a function that releases it. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
      return async () => {
        await fsp.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw toStowageError(err, `lock ${dataDir}`);
    }
    const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (owner === process.pid || alive(owner)) {
      throw new StowageError(
        'E_DATA_DIR_LOCKED',
        `the data directory ${dataDir} is in use by another Stowage process (pid ${owner})`,
        { details: { dataDir, pid: owner } },
      );
    }
    await fsp.rm(file, { force: true });
  }
  throw new StowageError('E_DATA_DIR_LOCKED', `could not lock the data directory ${dataDir}`);
}
