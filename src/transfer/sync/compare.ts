/**
 * Change detection from listings alone: no HEAD per object, except for `--checksum` on
 * same-size candidates (see docs/sync.md "What is compared").
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { StowageError } from '../../errors.js';
import { localProblem } from './local-problems.js';
import type { SyncDirection, SyncEntry, TransferReason } from './types.js';

/** SHA-256 (hex) of each side's content, for `--checksum`. */
export interface ChecksumSides {
  /**
   * The source entry's SHA-256, or undefined when unknown (e.g. an object uploaded by
   * another tool without `stowage-sha256` metadata); then the time rule decides.
   */
  source(entry: SyncEntry): Promise<string | undefined>;
  /** The destination entry's SHA-256, or undefined when unknown. */
  dest(entry: SyncEntry): Promise<string | undefined>;
}

/** How to decide whether an entry present on both sides changed. */
export interface CompareOptions {
  direction: SyncDirection;
  /** Only the size counts (aws-cli `--size-only`). */
  sizeOnly?: boolean;
  /** Downloads: same-size files are copied when the times differ at all (aws-cli). */
  exactTimestamps?: boolean;
  /** Compare SHA-256 for same-size entries (stowage `--checksum`). */
  checksum?: ChecksumSides;
  /**
   * Uploads: the mtime (ms) the destination object's file had when it was uploaded
   * (`stowage-mtime`), asked only for a same-size file that looks newer than its object.
   */
  storedMtime?: (dest: SyncEntry) => Promise<number | undefined>;
}

/** The outcome for one key. */
export type ChangeDecision =
  { transfer: true; reason: TransferReason } | { transfer: false; reason: string };

/**
 * S3's LastModified has one-second resolution while local mtimes have sub-millisecond
 * resolution, so times are compared in whole seconds; otherwise a file uploaded within
 * the second it was written would look newer than its object forever.
 */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Decides whether `source` must be transferred over `dest`. */
export async function decideChange(
  source: SyncEntry,
  dest: SyncEntry,
  options: CompareOptions,
): Promise<ChangeDecision> {
  if (source.sizeBytes !== dest.sizeBytes) return { transfer: true, reason: 'size' };
  if (options.sizeOnly) return { transfer: false, reason: 'unchanged (same size)' };
  if (options.checksum) {
    const [a, b] = await Promise.all([
      options.checksum.source(source),
      options.checksum.dest(dest),
    ]);
    if (a !== undefined && b !== undefined) {
      return a.toLowerCase() === b.toLowerCase()
        ? { transfer: false, reason: 'unchanged (same SHA-256)' }
        : { transfer: true, reason: 'checksum' };
    }
  }
  const src = seconds(source.mtimeMs);
  const dst = seconds(dest.mtimeMs);
  if (options.direction === 'download' && options.exactTimestamps) {
    return src !== dst
      ? { transfer: true, reason: 'timestamp' }
      : { transfer: false, reason: 'unchanged' };
  }
  // upload/copy: the source is newer than the object. download: the object is newer than
  // the local file (a downloaded file gets the object's LastModified as its mtime).
  if (src <= dst) return { transfer: false, reason: 'unchanged' };
  // A file dated in the future is newer than every upload of it: the mtime the upload
  // stored says whether this is the file that was uploaded (rclone compares it too).
  if (options.direction === 'upload' && options.storedMtime) {
    // Uploads store the mtime rounded to the millisecond (local-file.ts).
    if ((await options.storedMtime(dest)) === Math.round(source.mtimeMs)) {
      return { transfer: false, reason: 'unchanged (same stowage-mtime)' };
    }
  }
  return { transfer: true, reason: 'newer' };
}

/**
 * SHA-256 (hex) of a local entry's file, streamed.
 *
 * @example
 * planSync({ …, checksum: { source: localSha256, dest: (e) => remoteSha256(prefix + e.key) } });
 */
export async function localSha256(entry: SyncEntry): Promise<string> {
  if (!entry.path) {
    throw new StowageError('E_INVALID_ARGUMENT', `entry "${entry.key}" has no local path to hash`);
  }
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(entry.path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw localProblem(err, entry.path, 'file');
  }
  return hash.digest('hex');
}
