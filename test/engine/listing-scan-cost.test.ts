/**
 * What a delimiter listing reads: about one row per common prefix, not a batch each (a
 * page of 1,000 prefixes read 256,256 rows and held the server's thread for a second).
 */
import { describe, expect, it } from 'vitest';
import {
  scanEntries,
  takePage,
  type Position,
  type ScanSource,
} from '../../src/engine/listing/scan.js';

/** An in-memory source over sorted keys that counts the rows it hands out. */
function source(keys: string[]): ScanSource<string> & { rowsRead: number } {
  const s = {
    rowsRead: 0,
    fetch(from: Position, upper: string | undefined, limit: number): string[] {
      const out = keys
        .filter(
          (k) =>
            (from.inclusive ? k >= from.key : k > from.key) && (upper === undefined || k < upper),
        )
        .slice(0, limit);
      s.rowsRead += out.length;
      return out;
    },
    keyOf: (k: string) => k,
    seqOf: () => 0,
  };
  return s;
}

describe('scanEntries cost with a delimiter', () => {
  it('reads about one row per common prefix, not a batch', () => {
    const keys: string[] = [];
    for (let d = 0; d < 1500; d++)
      for (let f = 0; f < 50; f++) keys.push(`d/${String(d).padStart(5, '0')}/${f}`);
    const src = source(keys);
    const page = takePage(src, scanEntries(src, { prefix: 'd/', delimiter: '/' }), 1000);
    expect(page.entries).toHaveLength(1000);
    expect(page.entries.every((e) => e.kind === 'prefix')).toBe(true);
    expect(src.rowsRead).toBeLessThan(1100);
  });
});
