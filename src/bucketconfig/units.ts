/**
 * Human-friendly day counts for the places where S3 wants whole days (lifecycle transitions
 * and expirations, Intelligent-Tiering, object-lock retention): `30d`, `12w`, `2y`, `48h`.
 */

const DAYS_PER_UNIT: Record<string, number> = { h: 1 / 24, d: 1, w: 7, y: 365 };

/** The result of {@link parseDays}: the whole number of days, or why the text is not one. */
export type ParsedDays = { ok: true; days: number } | { ok: false; message: string };

/**
 * Parses a day count: a whole number (`30`, days), or a number with a unit: `d` days,
 * `w` weeks (7 days), `y` years (365 days, as S3 counts days rather than calendar years) or
 * `h` hours when they make whole days (`24h`, since S3 lifecycle counts whole days). Months
 * are refused because they are ambiguous (28 to 31 days).
 *
 * @example
 * parseDays('2y'); // { ok: true, days: 730 }
 * parseDays('6m'); // { ok: false, message: 'months are ambiguous ...' }
 */
export function parseDays(value: unknown): ParsedDays {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0
      ? { ok: true, days: value }
      : { ok: false, message: `expected a whole number of days, got ${value}` };
  }
  if (typeof value !== 'string') {
    return { ok: false, message: 'expected a number of days or a duration such as 30d, 12w or 2y' };
  }
  const text = value.trim();
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(text);
  if (!m) return { ok: false, message: `invalid duration "${value}": ${UNITS_HINT}` };
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === 'm' || unit === 'mo' || unit === 'month' || unit === 'months') {
    return {
      ok: false,
      message: `invalid duration "${value}": months are ambiguous (28 to 31 days); write days (e.g. 180d) or years (1y = 365d)`,
    };
  }
  if (unit === '') return { ok: true, days: n };
  const per = DAYS_PER_UNIT[unit];
  if (per === undefined)
    return { ok: false, message: `invalid duration "${value}": ${UNITS_HINT}` };
  if (unit === 'h' && n % 24 !== 0) {
    return {
      ok: false,
      message: `invalid duration "${value}": S3 counts whole days, so hours must be a multiple of 24`,
    };
  }
  return { ok: true, days: Math.round(n * per) };
}

const UNITS_HINT =
  'use a whole number of days or a number with a unit d, w, y or h (e.g. 30d, 12w, 2y, 24h)';
