/**
 * Wildcard matching for policy patterns (`*` any run of characters, `?` one) that costs at
 * most pattern length × value length steps. A RegExp of several `.*` backtracks
 * polynomially: an anonymous GET of a 6,000-character key against a bucket policy on
 * `b/*\/*\/*.png` held the event loop, and every other request, for 31 s.
 */

const STAR = -1;
const ONE = -2;

/**
 * Case folding as a case-insensitive RegExp (without the `u` flag) does it, one UTF-16 unit
 * at a time: each unit becomes its upper case when that is one unit. The same on both sides,
 * whatever surrounds a character: `toLowerCase` of a whole string turns a final `Σ` into `ς`
 * but a lone one into `σ`, and `ΟΔΟΣ` would not match itself.
 */
function foldCase(text: string): string {
  // Action names and most keys are ASCII: there, per unit and whole-string agree.
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
  if (ascii) return text.toUpperCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out += String.fromCharCode(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
      continue;
    }
    const ch = String.fromCharCode(c);
    const upper = ch.toUpperCase();
    out += upper.length === 1 ? upper : ch;
  }
  return out;
}

/** A compiled pattern. */
export interface Matcher {
  test(value: string): boolean;
}

/** Builds a pattern from literal text and wildcards, in order. */
export class GlobBuilder {
  private readonly codes: number[] = [];

  constructor(private readonly ignoreCase: boolean) {}

  /** Text matched as it is (a `*` in it is a character). */
  literal(text: string): this {
    const t = this.ignoreCase ? foldCase(text) : text;
    for (let i = 0; i < t.length; i++) this.codes.push(t.charCodeAt(i));
    return this;
  }

  /** `*`: any run of characters, none included. */
  star(): this {
    // Consecutive stars are one star.
    if (this.codes.at(-1) !== STAR) this.codes.push(STAR);
    return this;
  }

  /** `?`: exactly one character. */
  one(): this {
    this.codes.push(ONE);
    return this;
  }

  build(): Matcher {
    const p = this.codes.slice();
    const ignoreCase = this.ignoreCase;
    return { test: (value) => wildcardMatch(p, ignoreCase ? foldCase(value) : value) };
  }
}

/**
 * The classic greedy match with one backtrack point: on a mismatch after a `*`, the star
 * takes one more character and matching resumes after it. Every earlier star's choice is
 * final, which is sound because a later star can absorb anything an earlier one could.
 */
function wildcardMatch(p: readonly number[], s: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const c = p[j];
    if (j < p.length && (c === ONE || c === s.charCodeAt(i))) {
      i += 1;
      j += 1;
    } else if (c === STAR) {
      star = j;
      j += 1;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      mark += 1;
      i = mark;
    } else {
      return false;
    }
  }
  while (p[j] === STAR) j += 1;
  return j === p.length;
}

/**
 * A glob (`*` any run, `?` one character), case-insensitive unless told otherwise.
 *
 * @example
 * globMatcher('s3:Get*').test('s3:GetObject'); // true
 */
export function globMatcher(glob: string, ignoreCase = true): Matcher {
  const b = new GlobBuilder(ignoreCase);
  for (const ch of glob) {
    if (ch === '*') b.star();
    else if (ch === '?') b.one();
    else b.literal(ch);
  }
  return b.build();
}
