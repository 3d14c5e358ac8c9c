/**
 * The timing rules of a lifecycle rule: dates, minimum days per storage class, the order
 * transitions must follow, and expirations that must come after every transition.
 */
import type { LifecycleRule } from './lifecycle.js';
import { invalidArgument, invalidRequest } from './xml-fields.js';
import { TRANSITION_STORAGE_CLASSES } from '../../storage-classes.js';

export { TRANSITION_STORAGE_CLASSES };

/** A storage class a lifecycle rule may transition to. */
export type TransitionStorageClass = (typeof TRANSITION_STORAGE_CLASSES)[number];

/** Infrequent-access classes bill 30 days at least, so S3 refuses earlier moves into or out of them. */
const IA_CLASSES: ReadonlySet<string> = new Set(['STANDARD_IA', 'ONEZONE_IA']);
const IA_MIN_DAYS = 30;
const DAY_MS = 86_400_000;

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses a lifecycle `<Date>`: ISO 8601, and S3 requires midnight UTC. Returns the date as
 * `YYYY-MM-DDT00:00:00.000Z`.
 */
export function parseLifecycleDate(written: string, where: string): string {
  // xs:dateTime collapses white space around the value.
  const text = written.trim();
  const m = ISO_DATE.exec(text);
  let iso = text;
  if (m && m[4] === undefined) iso = `${text}T00:00:00Z`;
  else if (m && m[7] === undefined) iso = `${text}Z`;
  const ms = m ? Date.parse(iso) : NaN;
  // Date.parse rolls an impossible day over (2030-02-30 becomes March 2): a real calendar
  // day only.
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    // T24:00:00 is the next day to Date.parse, and no time to boto3 (hour must be in 0..23).
    const badTime =
      m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59);
    if (
      badTime ||
      day.getUTCFullYear() !== y ||
      day.getUTCMonth() !== mo - 1 ||
      day.getUTCDate() !== d
    ) {
      throw invalidArgument(`'Date' in ${where} is not a calendar date: "${text}"`);
    }
  }
  if (Number.isNaN(ms)) {
    throw invalidArgument(`'Date' in ${where} is not an ISO 8601 date: "${text}"`);
  }
  if (ms % DAY_MS !== 0) throw invalidArgument(`'Date' must be at midnight GMT (${where})`);
  return new Date(ms).toISOString();
}

interface Point {
  /** Days (after creation, or noncurrent) or, for dates, days since the epoch. */
  at: number;
  storageClass: TransitionStorageClass;
}

function rank(c: TransitionStorageClass): number {
  return TRANSITION_STORAGE_CLASSES.indexOf(c);
}

/** Checks one list of transitions: distinct classes, distinct times, waterfall order. */
function checkOrder(points: Point[], label: string, action: string, where: string): void {
  const seen = new Set<string>();
  for (const p of points) {
    if (seen.has(p.storageClass)) {
      throw invalidArgument(
        `'StorageClass' must be different for '${action}' actions in same 'Rule' (${where}); '${p.storageClass}' appears twice`,
      );
    }
    seen.add(p.storageClass);
  }
  const sorted = [...points].sort((a, b) => a.at - b.at);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as Point;
    const next = sorted[i] as Point;
    if (prev.at === next.at) {
      throw invalidArgument(
        `'${label}' in the ${action} actions for StorageClass '${prev.storageClass}' and '${next.storageClass}' must differ (${where})`,
      );
    }
    if (rank(prev.storageClass) > rank(next.storageClass)) {
      throw invalidArgument(
        `the ${action} to StorageClass '${next.storageClass}' comes after the one to '${prev.storageClass}' (${where}); ` +
          `objects only move down the order ${TRANSITION_STORAGE_CLASSES.join(', ')}`,
      );
    }
    if (IA_CLASSES.has(prev.storageClass) && next.at - prev.at < IA_MIN_DAYS) {
      throw invalidArgument(
        `'${label}' in the ${action} action for StorageClass '${next.storageClass}' (${where}) must be ` +
          `${IA_MIN_DAYS} days more than in the ${action} action for StorageClass '${prev.storageClass}'`,
      );
    }
  }
}

function checkCurrent(rule: LifecycleRule, where: string): void {
  const ts = rule.transitions;
  for (const t of ts) {
    if (t.days !== undefined && IA_CLASSES.has(t.storageClass) && t.days < IA_MIN_DAYS) {
      throw invalidArgument(
        `'Days' in Transition action must be greater than or equal to ${IA_MIN_DAYS} for storageClass '${t.storageClass}'`,
      );
    }
  }
  const byDays = ts.filter((t) => t.days !== undefined);
  if (byDays.length > 0 && byDays.length < ts.length) {
    throw invalidRequest(
      `Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for ${where}`,
    );
  }
  const points = ts.map((t) => ({
    at: t.days ?? Date.parse(t.date as string) / DAY_MS,
    storageClass: t.storageClass,
  }));
  checkOrder(points, byDays.length ? 'Days' : 'Date', 'Transition', where);
  const exp = rule.expiration;
  if (!exp || ts.length === 0 || exp.expiredObjectDeleteMarker !== undefined) return;
  const expByDays = exp.days !== undefined;
  if (expByDays !== byDays.length > 0) {
    throw invalidRequest(
      `Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for ${where}`,
    );
  }
  const last = Math.max(...points.map((p) => p.at));
  const expAt = exp.days ?? Date.parse(exp.date as string) / DAY_MS;
  if (expAt <= last) {
    const label = expByDays ? 'Days' : 'Date';
    throw invalidArgument(
      `'${label}' in the Expiration action for ${where} must be greater than '${label}' in the Transition action`,
    );
  }
}

function checkNoncurrent(rule: LifecycleRule, where: string): void {
  const ts = rule.noncurrentVersionTransitions;
  for (const t of ts) {
    if (IA_CLASSES.has(t.storageClass) && t.noncurrentDays < IA_MIN_DAYS) {
      throw invalidArgument(
        `'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to ${IA_MIN_DAYS} for storageClass '${t.storageClass}'`,
      );
    }
  }
  const points = ts.map((t) => ({ at: t.noncurrentDays, storageClass: t.storageClass }));
  checkOrder(points, 'NoncurrentDays', 'NoncurrentVersionTransition', where);
  const exp = rule.noncurrentVersionExpiration;
  if (!exp || ts.length === 0) return;
  if (exp.noncurrentDays <= Math.max(...points.map((p) => p.at))) {
    throw invalidArgument(
      `'NoncurrentDays' in the NoncurrentVersionExpiration action for ${where} must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action`,
    );
  }
}

/** Checks the transitions and expirations of one rule; `where` names the rule in messages. */
export function checkTransitions(rule: LifecycleRule, where: string): void {
  checkCurrent(rule, where);
  checkNoncurrent(rule, where);
}
