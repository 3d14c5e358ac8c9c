import { describe, expect, it } from 'vitest';
import { fitsInXml, splitByXml } from './xml-text.js';

describe('fitsInXml', () => {
  it('takes what XML 1.0 can carry: tab, LF, CR, any plane, pairs of surrogates', () => {
    for (const key of ['a.png', 'a\tb', 'line\nbreak', 'cr\rkey', 'ü/日本/😀', '\ufffd', '']) {
      expect(fitsInXml(key), JSON.stringify(key)).toBe(true);
    }
  });

  it('refuses the other C0 controls, U+FFFE/U+FFFF and lone surrogates', () => {
    for (const key of [
      'ctl\u0001key',
      '\u0000',
      'esc\u001b[2J',
      '\u000b',
      '\u000c',
      '\u001f',
      'x\ufffe',
      '\uffff',
      'a\ud800',
      '\udc00b',
    ]) {
      expect(fitsInXml(key), JSON.stringify(key)).toBe(false);
    }
  });
});

describe('splitByXml', () => {
  it('keeps the order within each side', () => {
    const keys = ['a', 'b\u0001', 'c', '\u001fd'];
    expect(splitByXml(keys, (k) => k)).toEqual([
      ['a', 'c'],
      ['b\u0001', '\u001fd'],
    ]);
  });
});
