import { describe, expect, it } from 'vitest';
import { fitsInXml } from './xml-text.js';

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
