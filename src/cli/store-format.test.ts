import { describe, expect, it } from 'vitest';
import { humanSize, intFlag } from './store-format.js';

describe('humanSize (aws-cli --human-readable)', () => {
  it.each([
    [0, '0 Bytes'],
    [1, '1 Byte'],
    [1023, '1023 Bytes'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
    [3 * 1024 ** 4, '3.0 TiB'],
  ])('%d -> %s', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});

describe('intFlag', () => {
  it('accepts whole numbers in range and names the flag and value otherwise', () => {
    expect(intFlag('--days', '7', 1, 10)).toBe(7);
    for (const bad of ['0', '11', '1.5', '-1', 'x', '']) {
      expect(() => intFlag('--days', bad, 1, 10)).toThrow(`invalid --days "${bad}"`);
    }
  });
});
