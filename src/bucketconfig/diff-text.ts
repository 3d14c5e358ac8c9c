/**
 * A readable diff of two documents for `stowage plan`: both are pretty-printed as JSON with
 * sorted keys (so a reordered key is no change), compared line by line (longest common
 * subsequence), and only the changed regions are shown with {@link DIFF_CONTEXT_LINES}
 * lines of context, `- old` / `+ new` like a unified diff.
 */
import { canonicalJson } from '../client/bucket-config/index.js';

/** Unchanged lines shown around each change. */
export const DIFF_CONTEXT_LINES = 2;

/** One line of a line diff. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** `value` as stable pretty JSON lines (keys sorted); undefined is no lines. */
export function documentLines(value: unknown): string[] {
  if (value === undefined) return [];
  return JSON.stringify(JSON.parse(canonicalJson(value)), null, 2).split('\n');
}

/** The full line diff of `a` to `b` (LCS); documents are small, O(n·m) is fine. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      out.push({ op: '-', text: a[i++]! });
    } else {
      out.push({ op: '+', text: b[j++]! });
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}

/**
 * The changed regions of the diff from `oldValue` to `newValue` as text lines (`- `, `+ `,
 * two spaces for context), regions separated by `…`. Empty when the documents are equal.
 *
 * @example
 * diffText({ TagSet: [{ Key: 'team', Value: 'a' }] }, { TagSet: [{ Key: 'team', Value: 'b' }] });
 */
export function diffText(oldValue: unknown, newValue: unknown): string[] {
  const lines = diffLines(documentLines(oldValue), documentLines(newValue));
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((line, k) => {
    if (line.op === ' ') return;
    const from = Math.max(0, k - DIFF_CONTEXT_LINES);
    const to = Math.min(lines.length - 1, k + DIFF_CONTEXT_LINES);
    for (let x = from; x <= to; x++) keep[x] = true;
  });
  const out: string[] = [];
  let gap = false;
  lines.forEach((line, k) => {
    if (!keep[k]) {
      gap = out.length > 0;
      return;
    }
    if (gap) out.push('…');
    gap = false;
    out.push(`${line.op === ' ' ? ' ' : line.op} ${line.text}`);
  });
  return out;
}
