/**
 * Object Lock documents: a bucket's ObjectLockConfiguration (its default retention), and
 * an object version's Retention and LegalHold. Anything outside S3's schema is MalformedXML;
 * a period that is not a positive whole number of days or years is InvalidArgument.
 */
import type { LegalHoldStatus, ObjectLockMode, ObjectRetention } from '../../engine/types.js';
import { StowageError } from '../../errors.js';
import { parseAmzDate } from '../../sigv4/amz-date.js';
import {
  allowOnly,
  elementOf,
  integerOf,
  malformed,
  oneOf,
  parseDocument,
  requireElement,
  requireText,
  textOf,
} from './xml-fields.js';

/** Retention modes, as S3 spells them. */
export const LOCK_MODES: readonly ObjectLockMode[] = ['GOVERNANCE', 'COMPLIANCE'];
/** Legal hold states, as S3 spells them. */
export const LEGAL_HOLDS: readonly LegalHoldStatus[] = ['ON', 'OFF'];

/** A bucket's default retention: a mode and a period in days or in years. */
export interface DefaultRetention {
  mode: ObjectLockMode;
  days?: number;
  years?: number;
}

/** The longest default retention S3 takes (100 years). */
const MAX_DAYS = 36_500;
const MAX_YEARS = 100;

const CONFIG = 'ObjectLockConfiguration';

/**
 * Validates a PutObjectLockConfiguration body and returns its default retention (undefined
 * when it has no Rule). ObjectLockEnabled must be `Enabled`: Object Lock is never turned off.
 */
export function parseObjectLockConfiguration(xml: string): DefaultRetention | undefined {
  const doc = parseDocument(xml, CONFIG);
  allowOnly(doc, ['ObjectLockEnabled', 'Rule'], CONFIG);
  const enabled = textOf(doc, 'ObjectLockEnabled', CONFIG);
  if (enabled !== 'Enabled') {
    throw malformed(
      enabled === undefined
        ? `${CONFIG} is missing the required element <ObjectLockEnabled> (Enabled)`
        : `<ObjectLockEnabled> must be Enabled (object lock cannot be turned off), got "${enabled}"`,
    );
  }
  const rule = elementOf(doc, 'Rule', CONFIG);
  if (rule === undefined) return undefined;
  allowOnly(rule, ['DefaultRetention'], 'Rule');
  const dr = requireElement(rule, 'DefaultRetention', 'Rule');
  const where = 'DefaultRetention';
  allowOnly(dr, ['Mode', 'Days', 'Years'], where);
  const mode = oneOf(requireText(dr, 'Mode', where), LOCK_MODES, 'Mode', where);
  const days = integerOf(dr, 'Days', where);
  const years = integerOf(dr, 'Years', where);
  if ((days === undefined) === (years === undefined)) {
    throw malformed(`${where} must have exactly one of <Days> and <Years>`);
  }
  const [tag, n, max] =
    days !== undefined ? ['Days', days, MAX_DAYS] : ['Years', years!, MAX_YEARS];
  if (n <= 0 || n > max) {
    throw new StowageError(
      'E_INVALID_ARGUMENT',
      n <= 0
        ? `Default retention period must be a positive integer value for '${tag}', got ${n}`
        : `Default retention period too large for '${tag}': ${n} is over ${max} (100 years)`,
      { s3Code: 'InvalidRetentionPeriod', details: { argumentName: tag } },
    );
  }
  return days !== undefined ? { mode, days } : { mode, years: n };
}

/** When a version written at `nowMs` under `rule` may be deleted. */
export function defaultRetainUntil(rule: DefaultRetention, nowMs: number): Date {
  const until = new Date(nowMs);
  if (rule.days !== undefined) until.setTime(nowMs + rule.days * 86_400_000);
  else until.setUTCFullYear(until.getUTCFullYear() + (rule.years ?? 0));
  return until;
}

/**
 * An ISO 8601 timestamp as S3 takes it in x-amz-object-lock-retain-until-date and
 * RetainUntilDate (`2027-01-01T00:00:00Z`, `…00.000Z`, `…+01:00`); undefined when it is not.
 */
export function parseLockDate(text: string): Date | undefined {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(
    t,
  );
  if (!m) return undefined;
  // A day or time that does not exist (`2030-02-31`, `24:00:00`) is refused, not rolled on:
  // its fields, in SigV4's basic form, must read back as they are.
  const [, y, mo, d, h, mi, s] = m;
  if (parseAmzDate(`${y}${mo}${d}T${h}${mi}${s}Z`) === undefined) return undefined;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Validates a PutObjectRetention body: a Mode and a RetainUntilDate, or neither (an empty
 * `<Retention/>` removes the retention). Returns undefined for removal.
 */
export function parseRetention(xml: string): ObjectRetention | undefined {
  const where = 'Retention';
  const doc = parseDocument(xml, where);
  allowOnly(doc, ['Mode', 'RetainUntilDate'], where);
  const mode = textOf(doc, 'Mode', where);
  const date = textOf(doc, 'RetainUntilDate', where);
  if (mode === undefined && date === undefined) return undefined;
  if (mode === undefined || date === undefined) {
    throw malformed(`${where} must have both <Mode> and <RetainUntilDate>, or neither`);
  }
  const retainUntil = parseLockDate(date);
  if (!retainUntil) {
    throw malformed(
      `<RetainUntilDate> must be an ISO 8601 date and time (2027-01-01T00:00:00Z), got "${date}"`,
    );
  }
  return { mode: oneOf(mode, LOCK_MODES, 'Mode', where), retainUntil };
}

/** Validates a PutObjectLegalHold body and returns its Status. */
export function parseLegalHold(xml: string): LegalHoldStatus {
  const where = 'LegalHold';
  const doc = parseDocument(xml, where);
  allowOnly(doc, ['Status'], where);
  return oneOf(requireText(doc, 'Status', where), LEGAL_HOLDS, 'Status', where);
}
