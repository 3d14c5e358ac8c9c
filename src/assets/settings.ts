/**
 * The manager's settings, validated once: explicit options first, then the store's seed-003
 * defaults (S3_BUCKET_NAME, S3_STORAGE_CLASS, S3_MAX_PARALLEL_UPLOADS, S3_ENABLE_ENCRYPTION).
 */
import { bucketNameProblem, type StoreDefaults } from '../client/index.js';
import { checkStorageClass } from '../client/ops/index.js';
import { StowageError } from '../errors.js';
import { transferSettings } from '../transfer/validate.js';
import type { StorageManagerConfig, StorageManagerOptions } from './types.js';

/** Files in flight when neither the options nor S3_MAX_PARALLEL_UPLOADS say (seed 003's example). */
export const DEFAULT_MAX_PARALLEL_UPLOADS = 10;

function invalid(field: string, value: unknown, expected: string): StowageError {
  return new StowageError(
    'E_INVALID_ARGUMENT',
    `${field} must be ${expected}, got ${JSON.stringify(value)}`,
    { details: { field, value } },
  );
}

/** The bucket, or an error that says both ways of naming one. */
export function requireBucket(bucket: string | undefined): string {
  if (bucket === undefined || bucket.trim() === '') {
    throw new StowageError(
      'E_CONFIG_INVALID',
      'no bucket: pass `bucket` to S3StorageManager or set S3_BUCKET_NAME in the environment',
      { details: { variable: 'S3_BUCKET_NAME' } },
    );
  }
  const problem = bucketNameProblem(bucket);
  if (problem) throw invalid('bucket', bucket, `a valid bucket name (it ${problem})`);
  return bucket;
}

/**
 * Settles the manager's settings.
 *
 * @throws StowageError `E_CONFIG_INVALID` when no bucket is named anywhere;
 *   `E_INVALID_ARGUMENT` naming a bad option.
 */
export function managerConfig(
  options: StorageManagerOptions,
  defaults: StoreDefaults = {},
): Readonly<StorageManagerConfig> {
  const bucket = requireBucket(options.bucket ?? defaults.bucket);
  const maxParallelUploads =
    options.maxParallelUploads ?? defaults.maxParallelUploads ?? DEFAULT_MAX_PARALLEL_UPLOADS;
  if (
    !Number.isInteger(maxParallelUploads) ||
    maxParallelUploads < 1 ||
    maxParallelUploads > 1024
  ) {
    throw invalid('maxParallelUploads', maxParallelUploads, 'a whole number from 1 to 1024');
  }
  const config: StorageManagerConfig = { bucket, maxParallelUploads };
  const storageClass = options.storageClass ?? defaults.storageClass;
  if (storageClass !== undefined) config.storageClass = storageClassOption(storageClass);
  const encryption = options.encryption ?? defaults.serverSideEncryption;
  if (encryption === true) config.sse = 'AES256';
  else if (encryption === 'AES256' || encryption === 'aws:kms') config.sse = encryption;
  else if (encryption !== undefined && encryption !== false) {
    throw invalid('encryption', encryption, 'true, false, "AES256" or "aws:kms"');
  }
  if (options.partSizeBytes !== undefined) {
    // Checked here, not at each upload: the transfers' own rule, named the same.
    config.partSizeBytes = transferSettings({ partSizeBytes: options.partSizeBytes }).partSizeBytes;
  }
  return Object.freeze(config);
}

/** A storage class option, uppercased; a bad one is an `E_INVALID_ARGUMENT` naming it. */
export function storageClassOption(name: unknown): string {
  if (typeof name !== 'string') throw invalid('storageClass', name, 'a storage class name');
  try {
    return checkStorageClass(name);
  } catch (err) {
    throw new StowageError('E_INVALID_ARGUMENT', `storageClass: ${(err as Error).message}`, {
      cause: err,
      details: { field: 'storageClass', value: name },
    });
  }
}
