/**
 * Lock files that hold their owner's pid, and taking over one whose owner is gone.
 *
 * Judging a lock stale (reading its pid, finding the process dead) and removing it are two
 * steps. Two processes that judged the same stale lock would both remove it, the second
 * removing the fresh lock the first had just created in its place, and both would go on as
 * its holder. So removals happen one at a time, under `<lock>.takeover` (a directory:
 * `mkdir` is atomic), and only while the file still holds what was judged stale.
 */
import { promises as fsp } from 'node:fs';
import { processAlive } from './process-alive.js';

/** What a lock file says about its holder. */
export interface LockState {
  /** The file's text, as read. */
  text: string;
  /** The holder's pid, when the file names one. */
  pid?: number;
  /** Whether the holder is gone (or the lock is older than `staleMs`). */
  stale: boolean;
}

/**
 * How old an empty lock file must be to count as left behind: its creator writes its pid at
 * once, so one still empty after a few seconds lost its creator in between.
 */
const EMPTY_STALE_MS = 3_000;

/**
 * A takeover lasts milliseconds: a `.takeover` directory older than this was left by a
 * process killed during one.
 */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Reads the lock at `file`; undefined when there is none.
 *
 * @param staleMs a lock older than this is stale even if its pid is alive (pid reuse).
 */
export async function readLock(file: string, staleMs = Infinity): Promise<LockState | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const age = Date.now() - mtimeMs;
  const pid = Number.parseInt(text, 10);
  if (!(pid > 0)) return { text, stale: age > (text === '' ? EMPTY_STALE_MS : staleMs) };
  return { text, pid, stale: age > staleMs || !processAlive(pid) };
}

/**
 * Removes the lock at `file` if it still holds `judged` (the text of a lock found stale).
 *
 * @returns false when another process is taking the lock over at this moment; the caller
 *   waits a little and looks again. True otherwise: the stale lock is gone, or was replaced.
 * @example
 * const state = await readLock(lock);
 * if (state?.stale) await removeStaleLock(lock, state.text);
 */
export async function removeStaleLock(file: string, judged: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  try {
    await fsp.mkdir(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = await fsp.stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > TAKEOVER_STALE_MS) await fsp.rm(guard, { recursive: true, force: true });
    return age > TAKEOVER_STALE_MS;
  }
  try {
    const now = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (now === judged) await fsp.rm(file, { force: true });
    return true;
  } finally {
    await fsp.rm(guard, { recursive: true, force: true });
  }
}
