import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, EXIT, type ErrorCode } from '../../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Table rows of docs/errors.md keyed by code: the cells after the code column. */
function documentedRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const match = /^\|\s*`(E_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (match?.[1] && match[2] !== undefined) {
      rows.set(
        match[1],
        match[2].split('|').map((cell) => cell.trim()),
      );
    }
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = documentedRows();
  const codes = Object.keys(ERROR_TABLE) as ErrorCode[];

  it('has a row for every code in ERROR_TABLE', () => {
    const missing = codes.filter((code) => !rows.has(code));
    expect(missing, `add rows to docs/errors.md for: ${missing.join(', ')}`).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const stale = [...rows.keys()].filter((code) => !(code in ERROR_TABLE));
    expect(stale, `remove from docs/errors.md: ${stale.join(', ')}`).toEqual([]);
  });

  it('matches the S3 code, HTTP status, exit code and retryability of the table', () => {
    const wrong = codes.flatMap((code) => {
      const cells = rows.get(code);
      if (!cells) return [];
      const spec = ERROR_TABLE[code];
      const expected = [
        `\`${spec.s3Code}\``,
        String(spec.httpStatus),
        String(spec.exitCode),
        spec.retryable ? 'yes' : 'no',
      ];
      const actual = cells.slice(0, 4);
      return actual.join(' ') === expected.join(' ')
        ? []
        : [`${code}: documented ${actual.join(' ')}, table says ${expected.join(' ')}`];
    });
    expect(wrong).toEqual([]);
  });

  it('says when each error happens and what to do', () => {
    const empty = [...rows].filter(([, cells]) => !cells[4] || !cells[5]).map(([code]) => code);
    expect(empty, `fill in "when" and "what to do" for: ${empty.join(', ')}`).toEqual([]);
  });

  it('lists every exit code', () => {
    const missing = Object.entries(EXIT).filter(
      ([name, value]) => !new RegExp(`^\\|\\s*${value}\\s*\\|\\s*\`${name}\``, 'm').test(doc),
    );
    expect(missing.map(([name]) => name)).toEqual([]);
  });
});
