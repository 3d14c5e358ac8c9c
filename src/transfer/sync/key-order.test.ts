import { describe, expect, it } from 'vitest';
import { compareKeys } from './key-order.js';

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('compareKeys', () => {
  it("orders 'a-b' < 'a.b' < 'a/b' < 'a0' (byte order, not path order)", () => {
    expect(['a/b', 'a0', 'a.b', 'a-b'].sort(compareKeys)).toEqual(['a-b', 'a.b', 'a/b', 'a0']);
  });

  it('agrees with UTF-8 byte order where UTF-16 order does not (astral vs U+E000-U+FFFF)', () => {
    const astral = '😀';
    const bmpHigh = '\uff5e';
    expect(astral < bmpHigh).toBe(true); // UTF-16 order: wrong for S3
    expect(compareKeys(astral, bmpHigh)).toBeGreaterThan(0);
    expect(byBytes(astral, bmpHigh)).toBeGreaterThan(0);
  });

  it('matches Buffer.compare on many random keys', () => {
    const alphabet = [
      'a',
      'b',
      '/',
      '-',
      '.',
      ' ',
      'é',
      '\u00ff',
      '\u4e2d',
      '\uffff',
      '\ue000',
      '😀',
      '\n',
      '𐍈',
    ];
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const keys = Array.from({ length: 2000 }, () =>
      Array.from(
        { length: 1 + Math.floor(rand() * 6) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join(''),
    );
    const a = [...keys].sort(compareKeys);
    const b = [...keys].sort(byBytes);
    expect(a).toEqual(b);
  });
});
