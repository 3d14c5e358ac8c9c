import { describe, expect, it } from 'vitest';
import { GlobBuilder, globMatcher } from './glob-match.js';

/** The meaning the matcher must have: the anchored RegExp it replaced. */
function viaRegExp(glob: string, value: string, ignoreCase: boolean): boolean {
  const body = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'si' : 's').test(value);
}

describe('globMatcher', () => {
  it('matches as the anchored RegExp did, over random patterns and values', () => {
    // A small alphabet makes near-misses and star choices common.
    const alphabet = ['a', 'b', '/', 'A', '*', '?', '.', 'Σ', 'σ', 'ς', 'ß', 'K'];
    // xorshift32: exact in 32-bit integers (a multiplicative generator past 2^53 lost
    // precision and repeated a handful of patterns).
    let seed = 0x9e3779b9 | 0;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const word = (max: number, chars: string[]) =>
      Array.from({ length: rand(max + 1) }, () => chars[rand(chars.length)]).join('');
    for (let n = 0; n < 20_000; n++) {
      const glob = word(7, alphabet);
      const value = word(9, ['a', 'b', '/', 'A', '*', '.', 'Σ', 'σ', 'ς', 'ß', 'k', 'K']);
      const ignoreCase = n % 2 === 0;
      expect([glob, value, globMatcher(glob, ignoreCase).test(value)]).toEqual([
        glob,
        value,
        viaRegExp(glob, value, ignoreCase),
      ]);
    }
  });

  it('answers a long key against several stars without backtracking (it took 31 s)', () => {
    const m = globMatcher('arn:aws:s3:::redos/*/*/*/*.png', false);
    const key = `arn:aws:s3:::redos/${'a/'.repeat(4000)}`;
    expect(m.test(key)).toBe(false);
    expect(m.test(`${key}x.png`)).toBe(true);
  });

  it('folds case one character at a time, so a string always matches itself', () => {
    for (const word of ['ΟΔΟΣ', 'ΑΣ', 'Straße', 'İstanbul', 'KELVIN']) {
      expect(globMatcher(word).test(word), word).toBe(true);
      expect(globMatcher(word).test(word.toLowerCase()), word).toBe(
        viaRegExp(word, word.toLowerCase(), true),
      );
    }
  });

  it('keeps literal text literal, whatever it holds', () => {
    const m = new GlobBuilder(false).literal('a/*?').star().build();
    expect(m.test('a/*?')).toBe(true);
    expect(m.test('a/*?/more')).toBe(true);
    expect(m.test('a/xy')).toBe(false);
    expect(globMatcher('', true).test('')).toBe(true);
    expect(globMatcher('', true).test('x')).toBe(false);
    expect(globMatcher('S3:GET*').test('s3:GetObject')).toBe(true);
    expect(globMatcher('S3:GET*', false).test('s3:GetObject')).toBe(false);
  });
});
