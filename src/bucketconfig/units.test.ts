import { describe, expect, it } from 'vitest';
import { parseDays } from './units.js';

describe('parseDays', () => {
  it.each([
    [30, 30],
    ['30', 30],
    ['30d', 30],
    ['12w', 84],
    ['2y', 730],
    ['1y', 365],
    ['48h', 2],
    [' 7D ', 7],
  ])('%j is %d days', (input, days) => {
    expect(parseDays(input)).toEqual({ ok: true, days });
  });

  it('refuses an unknown unit', () => {
    expect(parseDays('3x')).toEqual({
      ok: false,
      message:
        'invalid duration "3x": use a whole number of days or a number with a unit d, w, y or h (e.g. 30d, 12w, 2y, 24h)',
    });
  });

  it('refuses months as ambiguous', () => {
    expect(parseDays('6m')).toEqual({
      ok: false,
      message:
        'invalid duration "6m": months are ambiguous (28 to 31 days); write days (e.g. 180d) or years (1y = 365d)',
    });
  });

  it('refuses hours that are not whole days, fractions and negatives', () => {
    expect(parseDays('36h')).toEqual({
      ok: false,
      message: 'invalid duration "36h": S3 counts whole days, so hours must be a multiple of 24',
    });
    expect(parseDays(1.5)).toEqual({
      ok: false,
      message: 'expected a whole number of days, got 1.5',
    });
    expect(parseDays(-1).ok).toBe(false);
    expect(parseDays('1.5d').ok).toBe(false);
  });
});
