/**
 * A lock file next to the key store, so that two `stowage keys` processes (or a CLI and a
 * test) read-modify-write `access-keys.json` one at a time and never lose each other's keys.
 * The lock is created with O_EXCL; a lock left by a process that died is taken over
 * (stale-lock.ts: by one process, when several find it at once).
 */
import { promises as fsp } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StowageError, toStowageError } from '../../errors.js';
import { readLock, removeStaleLock } from '../../stale-lock.js';

/** What a caller passes to {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this long; the holder of the lock normally keeps it for milliseconds. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its process seems alive (pid reuse). */
  staleMs?: number;
}

/**
 * Runs `fn` while holding the lock file `lockFile`, and always releases it.
 *
 * @throws StowageError `E_DATA_DIR_LOCKED` when the lock stays taken for `timeoutMs`.
 * @example
 * await withFileLock(`${file}.lock`, async () => writeKeys(file, next));
 */
export async function withFileLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;
  const deadline = performance.now() + timeoutMs;
  let delayMs = 5;
  for (;;) {
    try {
      const handle = await fsp.open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw toStowageError(err, `create the lock file ${lockFile}`);
      }
    }
    const state = await readLock(lockFile, staleMs).catch((err: unknown) => {
      throw toStowageError(err, `read the lock file ${lockFile}`);
    });
    if (state === undefined) continue;
    if (state.stale && (await removeStaleLock(lockFile, state.text))) continue;
    if (performance.now() > deadline) {
      throw new StowageError(
        'E_DATA_DIR_LOCKED',
        `${lockFile} is held by another process; if none is running, delete the file`,
        { details: { lockFile } },
      );
    }
    await sleep(delayMs + Math.random() * delayMs);
    delayMs = Math.min(delayMs * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockFile, { force: true });
  }
}
