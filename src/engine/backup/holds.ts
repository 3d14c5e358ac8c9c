/**
 * How a backup keeps a running server from deleting the blob files it is copying. A
 * backup's snapshot names blob files that the server, which goes on writing, may delete as
 * soon as an object is overwritten: for a key overwritten every second no snapshot's blob
 * was ever still there to copy (a review found every backup failing on such a key).
 *
 * While a backup runs it keeps a hold file in the source's `tmp/backup-holds/`, touched
 * every {@link HOLD_REFRESH_MS}. A server about to delete a blob file that sees a hold
 * fresher than {@link HOLD_FRESH_MS} moves it to `tmp/held/` instead, where the backup
 * finds it. The last backup to finish empties `tmp/held/`; a killed backup's hold goes
 * stale by itself, and `tmp/` is emptied at every start anyway.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** A hold older than this is a killed backup's, and ignored. */
export const HOLD_FRESH_MS = 30_000;
/** How often a running backup touches its hold. */
export const HOLD_REFRESH_MS = 5_000;

/** Where holds live, under a data directory's tmp/. */
export const holdsDir = (tmpDir: string): string => path.join(tmpDir, 'backup-holds');
/** Where held blob files go, under a data directory's tmp/. */
export const heldDir = (tmpDir: string): string => path.join(tmpDir, 'held');

/** Whether a running backup holds blob removals in the data directory of `tmpDir`. */
export async function removalsHeld(tmpDir: string): Promise<boolean> {
  const dir = holdsDir(tmpDir);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const stat = await fsp.stat(path.join(dir, name)).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs < HOLD_FRESH_MS) return true;
  }
  return false;
}

/**
 * Takes a hold on the data directory of `tmpDir` until `release()`. Undefined when the
 * directory cannot be written (a read-only copy): the backup then relies on its retries.
 */
export async function holdRemovals(
  tmpDir: string,
): Promise<{ release(): Promise<void> } | undefined> {
  const dir = holdsDir(tmpDir);
  const file = path.join(dir, `${process.pid}-${Date.now()}`);
  const touch = async (): Promise<void> => {
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(file, '');
  };
  try {
    await touch();
  } catch {
    return undefined;
  }
  // A server started meanwhile empties tmp/: the hold is made again.
  const timer = setInterval(() => void touch().catch(() => undefined), HOLD_REFRESH_MS);
  timer.unref();
  return {
    release: async () => {
      clearInterval(timer);
      await fsp.rm(file, { force: true });
      // The last backup out empties tmp/held/. A file a server moves there after this is
      // removed by the next backup or the next start.
      if (await removalsHeld(tmpDir)) return;
      const held = heldDir(tmpDir);
      for (const name of await fsp.readdir(held).catch(() => [] as string[])) {
        await fsp.rm(path.join(held, name), { force: true });
      }
    },
  };
}
