/**
 * Glob patterns as aws-cli matches them: Python's `fnmatch` on POSIX (case-sensitive).
 *
 * - `*` matches any run of characters, '/' and newlines included;
 * - `?` matches exactly one character (one code point);
 * - `[seq]` matches one character in seq, `[!seq]` one not in it; `a-z` is a range; a
 *   `]` right after `[` or `[!` is literal; a `[` with no closing `]` is a literal `[`;
 * - there is no escape character: `\` is an ordinary character.
 * The whole key must match (the pattern is anchored at both ends).
 */

/** One character as a RegExp code point escape, safe inside and outside a class. */
function lit(ch: string): string {
  return `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
}

/** Translates the inside of `[...]` (without the brackets) to a RegExp class. */
function translateClass(body: string): string {
  const negate = body.startsWith('!');
  const chars = Array.from(negate ? body.slice(1) : body);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const a = chars[i] as string;
    const b = chars[i + 2];
    if (chars[i + 1] === '-' && b !== undefined) {
      // An empty range such as z-a matches nothing, as in Python (which drops it).
      if ((a.codePointAt(0) ?? 0) <= (b.codePointAt(0) ?? 0)) out += `${lit(a)}-${lit(b)}`;
      i += 2;
    } else {
      out += lit(a);
    }
  }
  if (out === '') return negate ? '[^]' : '[]';
  return negate ? `[^${out}]` : `[${out}]`;
}

/** Translates a glob to the source of an anchored RegExp (flags 'su'). */
export function globToRegExpSource(pattern: string): string {
  const p = Array.from(pattern);
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i++] as string;
    if (c === '*') {
      while (p[i] === '*') i++;
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (p[j] === '!') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') j++;
      if (j >= p.length) {
        out += lit('[');
      } else {
        out += translateClass(p.slice(i, j).join(''));
        i = j + 1;
      }
    } else {
      out += lit(c);
    }
  }
  return `^(?:${out})$`;
}

/**
 * Compiles a glob into a predicate over keys.
 *
 * @example
 * compileGlob('*.txt')('notes/a.txt'); // true: '*' crosses '/'
 */
export function compileGlob(pattern: string): (key: string) => boolean {
  const re = new RegExp(globToRegExpSource(pattern), 'su');
  return (key) => re.test(key);
}
