/** Durations on the command line: `90s`, `15m`, `5h`, `2d`, `1w`, or combinations like `1h30m`. */
import { StowageError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses a duration into milliseconds.
 *
 * @example
 * parseDurationMs('1h30m'); // 5_400_000
 */
export function parseDurationMs(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (s.length === 0 || matched !== s.length) {
    throw new StowageError(
      'E_USAGE',
      `invalid duration "${text}": use a number with a unit, e.g. 90s, 15m, 5h, 2d or 1h30m`,
    );
  }
  return Math.round(total);
}
