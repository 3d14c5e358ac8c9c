/**
 * Small files that must survive a power cut whole or not at all (credentials, the key
 * store): written to a temp file, fsynced, renamed into place, and the directory fsynced
 * so that the rename itself is on disk.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** fsyncs a directory, so that entries just created or renamed in it are durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename itself already happened.
  } finally {
    await handle.close();
  }
}

/**
 * fsyncs `dir` and, when `made` (what `mkdir(dir, { recursive: true })` returned: the first
 * directory it made) is set, every directory from `made`'s parent down, so that the
 * entries of the directories made on the way are durable too.
 */
export async function syncMadeDirectories(dir: string, made: string | undefined): Promise<void> {
  const dirs = [dir];
  if (made !== undefined) {
    for (let d = dir; d !== path.dirname(made); d = path.dirname(d)) dirs.push(path.dirname(d));
  }
  for (const d of dirs) await syncDirectory(d);
}

/**
 * Removes temp files a killed writer of `file` left beside it (`<name>.<pid>.<hex>.tmp`,
 * mode 0600, holding what `file` holds: secrets). Call it only while no other writer of
 * `file` can run (under the lock that guards its writes).
 */
export async function removeLeftoverTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const leftover = new RegExp(
    `^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.[0-9a-f]{8}\\.tmp$`,
  );
  await Promise.all(
    names
      .filter((n) => leftover.test(n))
      .map((n) => fsp.rm(path.join(dir, n), { force: true }).catch(() => undefined)),
  );
}

/**
 * Replaces `file` with `data` atomically and durably, readable by its owner only
 * (`mode`). The temp file is removed when anything fails; temp files of earlier writers
 * that were killed are removed first (the caller holds the lock over `file`'s writes).
 *
 * @example
 * await writeFileDurably('/srv/stowage/credentials.json', JSON.stringify(pair));
 */
export async function writeFileDurably(
  file: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  await removeLeftoverTemps(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fsp.open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(path.dirname(file));
}
