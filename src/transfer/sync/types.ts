/**
 * The vocabulary of sync planning: what a listing yields, and what a plan yields.
 *
 * A listing (a local walk, an S3 listing, or any other store) yields {@link ListedItem}s
 * in S3 key order. The planner merges a source and a destination listing into
 * {@link SyncAction}s; {@link runPlan} executes them through caller-supplied handlers.
 */
import type { StowageError } from '../../errors.js';

/** One object or file as a listing sees it. */
export interface SyncEntry {
  /** Key relative to the sync root, '/'-separated (no leading '/'). */
  key: string;
  sizeBytes: number;
  /** Local mtime, or the object's LastModified, in ms since the epoch. */
  mtimeMs: number;
  /** Absolute local path (local listings only). */
  path?: string;
  /** The object's ETag, quotes stripped (store listings only). */
  etag?: string;
  /** The object's storage class (store listings only). */
  storageClass?: string;
}

/**
 * What a listing yields. `skip` and `problem` items still take their place in key order:
 * they make the key (or, with `subtree`, every key under `key`, which then ends in '/')
 * "present but unusable", so a sync never deletes or overwrites it at the other side.
 */
export type ListedItem =
  | { kind: 'entry'; entry: SyncEntry }
  | { kind: 'skip'; key: string; path?: string; reason: string; subtree?: boolean }
  | { kind: 'problem'; key: string; path?: string; error: StowageError; subtree?: boolean };

/** Which way a sync goes; it names the transfer actions and picks the time rule. */
export type SyncDirection = 'upload' | 'download' | 'copy';

/** Why a transfer was planned. */
export type TransferReason = 'new' | 'size' | 'newer' | 'timestamp' | 'checksum';

/** One step of a plan. */
export type SyncAction =
  | {
      kind: SyncDirection;
      key: string;
      source: SyncEntry;
      /** Present when the destination already has the key (a replacement). */
      dest?: SyncEntry;
      reason: TransferReason;
    }
  | { kind: 'delete'; key: string; dest: SyncEntry }
  | { kind: 'skip'; key: string; reason: string; source?: SyncEntry; dest?: SyncEntry }
  | { kind: 'error'; key: string; side: 'source' | 'dest'; error: StowageError }
  /** --max-delete tripped: no delete action follows; the run must fail. */
  | { kind: 'delete-blocked'; wouldDelete: number; maxDelete: number };

/** The transfer kinds, for narrowing. */
export type TransferAction = Extract<SyncAction, { kind: SyncDirection }>;
