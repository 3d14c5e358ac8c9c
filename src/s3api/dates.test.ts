import { describe, expect, it } from 'vitest';
import { httpDate, parseHttpDate } from './dates.js';

describe('parseHttpDate', () => {
  it('reads the three forms of RFC 9110 as the same GMT instant', () => {
    const want = Date.UTC(1994, 10, 6, 8, 49, 37);
    for (const text of [
      'Sun, 06 Nov 1994 08:49:37 GMT',
      'Sunday, 06-Nov-94 08:49:37 GMT',
      'Sun Nov  6 08:49:37 1994',
    ]) {
      expect(parseHttpDate(text)?.getTime(), text).toBe(want);
    }
    expect(httpDate(parseHttpDate('Sun Nov  6 08:49:37 1994')!)).toBe(
      'Sun, 06 Nov 1994 08:49:37 GMT',
    );
  });

  it('gives undefined for what is no date', () => {
    expect(parseHttpDate(undefined)).toBeUndefined();
    expect(parseHttpDate('yesterday')).toBeUndefined();
  });
});
