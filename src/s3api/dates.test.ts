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

  it('gives undefined for what JavaScript reads as a date but HTTP does not', () => {
    // Date.parse reads '0' as 2000-01-01 and a time without a zone as local time: a
    // conditional header holding one was acted on (412, 304) instead of ignored.
    for (const text of [
      '0',
      '1',
      'x 2000',
      '12/01/2020',
      '2020-01-01T00:00:00Z',
      'Wed, 01 Jan 2020 00:00:00 +0000',
      'Wed, 01 Jan 2020 00:00:00.500 GMT',
      'Wed, 01 Jan 2020 00:00:00',
      'Wed, 01 Jan 2020 00:00:00 UTC',
      'Wed, 1 Jan 2020 00:00:00 GMT',
      'Sat, 31 Feb 2020 00:00:00 GMT',
      'Wed, 01 Jan 2020 24:00:00 GMT',
      'Wednesday, 01-Jan-2020 00:00:00 GMT',
    ]) {
      expect(parseHttpDate(text), text).toBeUndefined();
    }
  });

  it('reads an RFC 850 year as at most 50 years ahead (RFC 9110 §5.6.7)', () => {
    const ahead = (new Date().getUTCFullYear() + 10) % 100;
    const behind = (new Date().getUTCFullYear() + 60) % 100;
    const year = (yy: number): number | undefined =>
      parseHttpDate(`Sunday, 06-Nov-${String(yy).padStart(2, '0')} 08:49:37 GMT`)?.getUTCFullYear();
    expect(year(ahead)).toBe(new Date().getUTCFullYear() + 10);
    expect(year(behind)).toBe(new Date().getUTCFullYear() + 60 - 100);
  });
});
