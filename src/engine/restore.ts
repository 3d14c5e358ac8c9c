/**
 * Glacier-style restores. A restore request records when it was asked for and when it
 * completes; whether it is still running, readable or expired is derived from the engine
 * clock at read time, so no background worker is needed and a test clock can move time.
 */
import { StowageError } from '../errors.js';
import type { RestoreStatus, RestoreTier, StorageClass } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long a restore takes, by class and tier: the upper end of the ranges S3 publishes
 * (GLACIER Flexible Retrieval: Expedited 1–5 min, Standard 3–5 h, Bulk 5–12 h;
 * DEEP_ARCHIVE: Standard within 12 h, Bulk within 48 h, no Expedited).
 */
export const RESTORE_DELAY_MS: Record<
  'GLACIER' | 'DEEP_ARCHIVE',
  Partial<Record<RestoreTier, number>>
> = {
  GLACIER: { Expedited: 5 * MINUTE, Standard: 5 * HOUR, Bulk: 12 * HOUR },
  DEEP_ARCHIVE: { Standard: 12 * HOUR, Bulk: 48 * HOUR },
};

/** The restore record stored with an object version. */
export interface RestoreRecord {
  tier: RestoreTier;
  days: number;
  requestedAt: number;
  completesAt: number;
  expiresAt: number;
}

/**
 * The last expiry a restored copy can have: midnight UTC starting 31 December 9999. Every
 * date S3 writes has four year digits; past this one, listings wrote `+084164-…` (which
 * botocore cannot read) and, past JavaScript's last date, failed with a 500.
 */
export const LAST_RESTORE_EXPIRY_MS = Date.UTC(9999, 11, 31);

/** S3 rounds a restored copy's expiry up to the next midnight UTC. */
function expiryAfter(fromMs: number, days: number): number {
  const t = fromMs + days * DAY;
  const expiry = Math.ceil(t / DAY) * DAY;
  if (!(expiry <= LAST_RESTORE_EXPIRY_MS)) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `restore Days ${days} puts the restored copy's expiry past the year 9999`,
    );
  }
  return expiry;
}

/** Validates the request and returns a new restore record starting at `nowMs`. */
export function startRestore(
  storageClass: StorageClass,
  days: number,
  tier: RestoreTier,
  nowMs: number,
): RestoreRecord {
  if (!Number.isInteger(days) || days < 1) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `restore Days must be a whole number of at least 1, got ${days}`,
    );
  }
  if (storageClass !== 'GLACIER' && storageClass !== 'DEEP_ARCHIVE') {
    throw new StowageError(
      'E_INVALID_OBJECT_STATE',
      `restore is not allowed for an object in the ${storageClass} storage class`,
    );
  }
  const delay = RESTORE_DELAY_MS[storageClass][tier];
  if (delay === undefined) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `the ${tier} retrieval tier is not available for ${storageClass}; use Standard or Bulk`,
    );
  }
  const completesAt = nowMs + delay;
  return { tier, days, requestedAt: nowMs, completesAt, expiresAt: expiryAfter(completesAt, days) };
}

/** Retrieval tiers, fastest first. */
const TIER_SPEED: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];

/**
 * Speeds up a restore still running, as S3 allows: a request with the same Days and a
 * faster tier than the running one's (and available for the class) takes that tier, and
 * the copy is ready at the earlier of the two times. Returns undefined for any other
 * request, which S3 answers with RestoreAlreadyInProgress.
 */
export function upgradeRestore(
  record: RestoreRecord,
  storageClass: StorageClass,
  days: number,
  tier: RestoreTier,
  nowMs: number,
): RestoreRecord | undefined {
  if (days !== record.days) return undefined;
  if (TIER_SPEED.indexOf(tier) >= TIER_SPEED.indexOf(record.tier)) return undefined;
  if (storageClass !== 'GLACIER' && storageClass !== 'DEEP_ARCHIVE') return undefined;
  const delay = RESTORE_DELAY_MS[storageClass][tier];
  if (delay === undefined) return undefined;
  const completesAt = Math.min(record.completesAt, nowMs + delay);
  return { ...record, tier, completesAt, expiresAt: expiryAfter(completesAt, days) };
}

/** Extends a completed restore: the copy now expires `days` after `nowMs`. */
export function extendRestore(record: RestoreRecord, days: number, nowMs: number): RestoreRecord {
  if (!Number.isInteger(days) || days < 1) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      `restore Days must be a whole number of at least 1, got ${days}`,
    );
  }
  return { ...record, days, expiresAt: expiryAfter(nowMs, days) };
}

/** What a record means at `nowMs`: running, readable, or gone (expired). */
export function restorePhase(
  record: RestoreRecord | undefined,
  nowMs: number,
): 'none' | 'ongoing' | 'restored' {
  if (!record) return 'none';
  if (nowMs < record.completesAt) return 'ongoing';
  if (nowMs < record.expiresAt) return 'restored';
  return 'none';
}

/** The public view of a record, or undefined when there is none or it expired. */
export function restoreStatus(
  record: RestoreRecord | undefined,
  nowMs: number,
): RestoreStatus | undefined {
  const phase = restorePhase(record, nowMs);
  if (!record || phase === 'none') return undefined;
  return {
    ongoing: phase === 'ongoing',
    tier: record.tier,
    days: record.days,
    requestedAt: new Date(record.requestedAt),
    completesAt: new Date(record.completesAt),
    // A record stored before expiryAfter refused far dates still has one that S3's date form
    // can hold.
    expiresAt:
      phase === 'restored'
        ? new Date(Math.min(record.expiresAt, LAST_RESTORE_EXPIRY_MS))
        : undefined,
  };
}
