/** Storage classes: which names are accepted and which need a restore before reading. */
import { StowageError } from '../errors.js';
import type { StorageClass } from './types.js';

/** Every storage class the engine stores. */
export const STORAGE_CLASSES: readonly StorageClass[] = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
];

/** Classes whose objects can be listed and headed but not read until restored. */
export function isArchived(storageClass: StorageClass): boolean {
  return storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE';
}

/**
 * Validates a storage class name. Undefined means STANDARD; REDUCED_REDUNDANCY is
 * accepted and stored as STANDARD, since AWS no longer recommends it and prices it
 * above STANDARD.
 */
export function parseStorageClass(value: string | undefined): StorageClass {
  if (value === undefined || value === '') return 'STANDARD';
  if (value === 'REDUCED_REDUNDANCY') return 'STANDARD';
  if ((STORAGE_CLASSES as readonly string[]).includes(value)) return value as StorageClass;
  throw new StowageError(
    'E_INVALID_STORAGE_CLASS',
    `unknown storage class "${value}"; expected one of ${STORAGE_CLASSES.join(', ')} or REDUCED_REDUNDANCY`,
    { details: { storageClass: value } },
  );
}
