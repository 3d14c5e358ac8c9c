/**
 * The variables of seed 003's `S3Config.from_env()` (S3_BUCKET_NAME, S3_REGION,
 * S3_STORAGE_CLASS, S3_MAX_PARALLEL_UPLOADS, S3_ENABLE_ENCRYPTION), so an existing `.env`
 * keeps working. They give defaults only; AWS's own variables win where both exist.
 */
import { StowageError } from '../errors.js';
import { S3_STORAGE_CLASSES } from '../storage-classes.js';
import type { StoreDefaults } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The one list every layer checks (the SDK's enum also names FSX_ONTAP and others S3 objects cannot take). */
const STORAGE_CLASSES = new Set<string>(S3_STORAGE_CLASSES);
const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function bad(name: string, value: string, expected: string): StowageError {
  return new StowageError('E_CONFIG_INVALID', `env ${name}: expected ${expected}, got "${value}"`, {
    details: { variable: name, value },
  });
}

/** An env value, with empty treated as unset as the config loader does. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads the seed-003 transfer defaults from `env`.
 *
 * @throws StowageError `E_CONFIG_INVALID` naming the variable and its bad value.
 * @example
 * seedDefaults({ S3_BUCKET_NAME: 'assets', S3_ENABLE_ENCRYPTION: 'true' });
 * // { bucket: 'assets', serverSideEncryption: 'AES256' }
 */
export function seedDefaults(env: Env): StoreDefaults {
  const out: StoreDefaults = {};
  const bucket = envValue(env, 'S3_BUCKET_NAME');
  if (bucket !== undefined) out.bucket = bucket;

  const storageClass = envValue(env, 'S3_STORAGE_CLASS');
  if (storageClass !== undefined) {
    if (!STORAGE_CLASSES.has(storageClass.toUpperCase())) {
      throw bad('S3_STORAGE_CLASS', storageClass, `one of ${[...STORAGE_CLASSES].join(', ')}`);
    }
    out.storageClass = storageClass.toUpperCase();
  }

  const parallel = envValue(env, 'S3_MAX_PARALLEL_UPLOADS');
  if (parallel !== undefined) {
    const n = Number(parallel);
    if (!/^\d+$/.test(parallel) || n < 1 || n > 1024) {
      throw bad('S3_MAX_PARALLEL_UPLOADS', parallel, 'a whole number from 1 to 1024');
    }
    out.maxParallelUploads = n;
  }

  const encryption = envValue(env, 'S3_ENABLE_ENCRYPTION');
  if (encryption !== undefined) {
    const lower = encryption.toLowerCase();
    if (TRUE.has(lower)) out.serverSideEncryption = 'AES256';
    else if (!FALSE.has(lower)) throw bad('S3_ENABLE_ENCRYPTION', encryption, 'true or false');
  }
  return out;
}
