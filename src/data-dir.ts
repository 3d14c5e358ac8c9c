/** Checks shared by commands that must work on an existing data directory only. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { StowageError } from './errors.js';

/** The engine's database in a data directory: there once the engine has opened it. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'meta.db');
}

/**
 * Refuses a data directory that does not exist (E_CONFIG_INVALID), so that a mistyped
 * `--data-dir` is not created and then reported on as if it were the store. `hint` says
 * which directory was meant.
 *
 * @example
 * await requireDataDir('/srv/stowage', 'pass the --data-dir of the store to check');
 */
export async function requireDataDir(dataDir: string, hint: string): Promise<void> {
  const stat = await fsp.stat(dataDir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new StowageError('E_CONFIG_INVALID', `no data directory at ${dataDir}: ${hint}`, {
      details: { dataDir },
    });
  }
}
