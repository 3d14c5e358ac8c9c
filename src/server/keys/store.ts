/**
 * `<dataDir>/access-keys.json`: the access keys created with `stowage keys`. Readable by the
 * owner only (mode 0600). Every change is a read-modify-write under a lock file, written
 * to a temporary file, fsynced and renamed over the old one, so readers (a running server)
 * see the old or the new file, never half of one, and concurrent writers lose nothing.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { requireDataDir } from '../../data-dir.js';
import { writeFileDurably } from '../../durable-write.js';
import { toStowageError } from '../../errors.js';
import { withFileLock } from './lock.js';
import { formatKeyStore, parseKeyStore, type StoredKey } from './record.js';

/** What a missing data directory's error tells the user. */
export const DATA_DIR_HINT =
  'pass the --data-dir of the server (stowage serve creates it on its first start)';

/** The key store file of a data directory. */
export function keyStoreFile(dataDir: string): string {
  return path.join(dataDir, 'access-keys.json');
}

/**
 * Reads the key store; a missing file is an empty store.
 *
 * @throws StowageError `E_CONFIG_INVALID` when the file is corrupt.
 */
export async function readKeyStore(dataDir: string): Promise<StoredKey[]> {
  const file = keyStoreFile(dataDir);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toStowageError(err, `read ${file}`);
  }
  return parseKeyStore(text, file);
}

/** Replaces the key store atomically: temp file, fsync, rename, fsync of the directory. */
async function writeKeyStore(dataDir: string, keys: readonly StoredKey[]): Promise<void> {
  const file = keyStoreFile(dataDir);
  try {
    await writeFileDurably(file, formatKeyStore(keys));
  } catch (err) {
    throw toStowageError(err, `write ${file}`);
  }
}

/**
 * Changes the key store: `change` gets the current keys (read under the lock) and returns
 * the new list plus a result. Nothing is written when `change` throws.
 *
 * @example
 * const removed = await updateKeyStore(dataDir, (keys) => ({ keys: keys.slice(1), result: keys[0] }));
 */
export async function updateKeyStore<T>(
  dataDir: string,
  change: (keys: StoredKey[]) => { keys: StoredKey[]; result: T },
): Promise<T> {
  // A mistyped --data-dir must not get a key store of its own that no server reads.
  await requireDataDir(dataDir, DATA_DIR_HINT);
  return withFileLock(`${keyStoreFile(dataDir)}.lock`, async () => {
    const { keys, result } = change(await readKeyStore(dataDir));
    await writeKeyStore(dataDir, keys);
    return result;
  });
}
