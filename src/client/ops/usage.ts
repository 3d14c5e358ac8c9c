/**
 * Bucket usage: object counts and bytes under a prefix, in total and by storage class,
 * summed from a streaming listing (one page in memory at a time).
 */
import { listObjects } from './list.js';
import type { StoreSession } from './session.js';

/** Counts and bytes. */
export interface UsageTotals {
  objects: number;
  bytes: number;
}

/** What {@link diskUsage} reports for one bucket or prefix. */
export interface DiskUsage extends UsageTotals {
  bucket: string;
  prefix: string;
  /** Per storage class, e.g. `{ STANDARD: {...}, GLACIER: {...} }`. */
  byClass: Record<string, UsageTotals>;
}

/**
 * Sums the current objects under `prefix` (versions and unfinished uploads are not counted,
 * as `aws s3 ls --summarize` does not count them).
 *
 * @throws StowageError `E_NO_SUCH_BUCKET`, `E_ACCESS_DENIED` …
 * @example
 * const u = await diskUsage(session, { bucket: 'backups' });
 * console.log(u.bytes, u.byClass.GLACIER?.bytes ?? 0);
 */
export async function diskUsage(
  session: StoreSession,
  options: { bucket: string; prefix?: string },
): Promise<DiskUsage> {
  const { bucket, prefix = '' } = options;
  const usage: DiskUsage = { bucket, prefix, objects: 0, bytes: 0, byClass: {} };
  for await (const entry of listObjects(session, { bucket, prefix, recursive: true })) {
    if (entry.type !== 'object') continue;
    usage.objects += 1;
    usage.bytes += entry.size;
    const cls = (usage.byClass[entry.storageClass] ??= { objects: 0, bytes: 0 });
    cls.objects += 1;
    cls.bytes += entry.size;
  }
  return usage;
}
